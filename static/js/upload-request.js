// One file posted to the room's upload endpoint with XMLHttpRequest, whose upload
// progress fetch() does not report. Resolves {status, body}; status 0 when the network
// failed or the request was aborted.

export function uploadRequest({ url, file, csrfToken, onProgress }) {
  const request = new XMLHttpRequest();
  const promise = new Promise((resolve) => {
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    request.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = null; // a proxy's HTML page (nginx's 413) is no JSON
      }
      resolve({ status: request.status, body });
    });
    request.addEventListener("error", () => resolve({ status: 0, body: null }));
    request.addEventListener("abort", () => resolve({ status: 0, body: null, aborted: true }));
  });
  const form = new FormData();
  form.append("file", file, file.name);
  request.open("POST", url);
  request.setRequestHeader("X-CSRFToken", csrfToken);
  request.setRequestHeader("Accept", "application/json");
  request.send(form);
  return { promise, abort: () => request.abort() };
}

// Django's CSRF cookie, as every form on the page carries it.
export function csrfToken(doc = globalThis.document) {
  const match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(doc.cookie);
  if (match) return decodeURIComponent(match[1]);
  return doc.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}
