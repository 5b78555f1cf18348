/**
 * Blueprint's Checkbox, Switch and Radio pass extra props to their hidden <input>, which the
 * drawn indicator covers: a test clicking it would hit the indicator instead. The test id goes
 * on the <label> (the visible control) instead; Playwright's check()/isChecked() on a label act
 * on its input.
 */
export function labelTestId(id: string): (input: HTMLInputElement | null) => void {
  return (input) => {
    input?.closest('label')?.setAttribute('data-testid', id);
  };
}
