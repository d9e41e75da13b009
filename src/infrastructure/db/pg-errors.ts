/** PostgreSQL SQLSTATE codes the repositories turn into domain errors. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

const sqlState = (error: unknown): string | undefined => (error as { code?: string } | null)?.code;

export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === UNIQUE_VIOLATION;
/** SQLSTATE class 22, data exception: a value the column cannot hold (range, encoding, format). */
export const isDataException = (error: unknown): boolean => /^22/.test(sqlState(error) ?? '');
export const isForeignKeyViolation = (error: unknown): boolean => sqlState(error) === FOREIGN_KEY_VIOLATION;
