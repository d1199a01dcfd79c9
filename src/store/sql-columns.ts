/** The columns of an event row that both SQL adapters select, in the order their rows name them. */
export const EVENT_COLUMNS = 'position, stream, revision, id, type, data, created_at';

/** The same, with `data` empty (ReadAllOptions.withoutData): where the log stands, without what it says. */
export const EVENT_COLUMNS_WITHOUT_DATA = "position, stream, revision, id, type, '' AS data, created_at";
