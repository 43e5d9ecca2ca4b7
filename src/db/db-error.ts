import { WxhubError } from '../errors/index.js';

export function databaseClosed(backend: string, where: string): WxhubError {
  return new WxhubError('WXHUB_ERR_DATABASE_UNAVAILABLE', `${backend} ${where}: database is closed`);
}

export function duplicateKey(id: string): WxhubError {
  return new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `client key id ${id} already exists`);
}

export function duplicateAccount(appid: string): WxhubError {
  return new WxhubError('WXHUB_ERR_ACCOUNT_EXISTS', `account ${appid} already exists`);
}
