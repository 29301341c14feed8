export { createApp, type AppOptions } from './app.ts';
export { startServer, type RunningServer, type StartServerOptions } from './start-server.ts';
export { HTTP_STATUS, errorBody, errorStatus, type ErrorBody } from './error-status.ts';
