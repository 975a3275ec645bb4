// One file to its upload target (contract v3, *Documents*): the target the
// API named for it, on AWS a presigned URL of the documents bucket, locally
// the local server. XMLHttpRequest, not fetch: only it reports the upload's
// progress. The bytes go straight to storage, never through the API.

/** No HTTP answer at all (offline, refused, timed out): the upload may be retried. */
export class UploadNetworkError extends Error {}

/** The target answered, but not with success (an expired or refused signature). */
export class UploadRefused extends Error {
  constructor(status) {
    super(`upload answered ${status}`);
    this.status = status;
  }
}

/** The upload was stopped by `abort()` (the file was removed). */
export class UploadAborted extends Error {}

/**
 * Sends `file` to `target` (`{method, url, headers}` for a PUT, `{method,
 * url, fields}` for a POST policy) and reports progress as a fraction 0–1
 * through `onProgress`. Returns `{promise, abort}`.
 */
export function send(file, target, onProgress, { timeoutMs = 10 * 60 * 1000 } = {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open(target.method, target.url);
    xhr.timeout = timeoutMs;
    xhr.withCredentials = false;
    let body = file;
    if (target.method === 'POST') {
      // A presigned POST: the policy's fields first, the file last.
      body = new FormData();
      for (const [name, value] of Object.entries(target.fields || {})) body.append(name, value);
      body.append('file', file);
    } else {
      // Exactly the headers the signature pins (the content type).
      for (const [name, value] of Object.entries(target.headers || {})) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new UploadRefused(xhr.status));
      }
    };
    xhr.onerror = () => reject(new UploadNetworkError('network'));
    xhr.ontimeout = () => reject(new UploadNetworkError('timeout'));
    xhr.onabort = () => reject(new UploadAborted('aborted'));
    xhr.send(body);
  });
  return { promise, abort: () => xhr.abort() };
}
