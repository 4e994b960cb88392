/** JSON-lines logger. Callers pass masked phones only; message bodies are logged at debug level at most. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFn = (message: string, fields?: Record<string, unknown>) => void;
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(component: string, minLevel: LogLevel = 'info'): Logger {
  const at =
    (level: LogLevel): LogFn =>
    (message, fields = {}) => {
      if (ORDER[level] < ORDER[minLevel]) return;
      const line = JSON.stringify({ time: new Date().toISOString(), level, component, message, ...fields });
      (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
