/** A selector for an element of `testId` whose data-step is one of `steps` (the dialogs' state machines). */
export function stepSelector(testId: string, steps: string[]): string {
  return steps.map((step) => `[data-testid="${testId}"][data-step="${step}"]`).join(', ');
}
