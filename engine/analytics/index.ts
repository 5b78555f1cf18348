// Placeholder: see engine/README.md. Filled by the alarms and analytics work.
export {};
