/**
 * Instruments: what an asset is (exchange, session template, zone, tick size, point value)
 * and the calendars its sessions follow. See docs/instruments.md.
 */
export { BUILTIN_INSTRUMENTS } from './builtinInstruments.js';
export { ASSET_CLASSES, InstrumentInputSchema, InstrumentSchema, type AssetClass, type Instrument, type InstrumentInput } from './instrumentSchema.js';
export {
  genericInstrument,
  instrumentCalendar,
  instrumentFor,
  instrumentSessionClock,
  InstrumentRegistry,
  isInSession,
  isInstrumentTradingDate,
  parseInstrumentFile,
  STORE_INSTRUMENT_FOLDER,
  tradingDateOf,
  type RegisteredInstrument,
} from './instrumentRegistry.js';
export {
  describeHours,
  isTradingDate,
  SESSION_TEMPLATES,
  sessionClock,
  sessionOfDate,
  sessionsOverlapping,
  tradingDateOfMs,
  tradingDayOfMs,
  type SessionPlace,
  type SessionTemplate,
} from './sessionTemplates.js';
export { holidayCalendar, isHoliday, CALENDAR_IDS, type CalendarId, type HolidayCalendar } from '../time/holidayCalendar.js';
