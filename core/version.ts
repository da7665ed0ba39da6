/** The product version; tests check it against package.json. */
export const VERSION = '0.1.0';
