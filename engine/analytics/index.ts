// Analytics (anomalies, forecasts, failure prediction) has no issue yet: nothing lives here so far.
// Pure functions on arrays will go here, shared by server jobs and the renderer (see DESIGN.md §2).
export {};
