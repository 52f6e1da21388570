// Model and user text as markdown: marked renders, DOMPurify removes anything executable
// (scripts, event handlers, javascript: URLs, forms, iframes). The only place the UI turns
// text into HTML; everything else is rendered as text by Lit's templates.
import DOMPurify from "dompurify";
import { marked } from "marked";
import { unsafeHTML } from "lit/directives/unsafe-html.js";

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

// Raw HTML in a reply is shown as the text it is (never parsed: even an inert element with
// an event handler makes the browser report a CSP violation), and a markdown image is a
// link: the page loads nothing a model names.
marked.use({
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ href, text }) => `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`,
  },
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

export function markdownToSafeHtml(text: string): string {
  const html = marked.parse(text ?? "", { async: false, gfm: true, breaks: true }) as string;
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
    FORBID_ATTR: ["style"],
  });
}

export function renderMarkdown(text: string) {
  return unsafeHTML(markdownToSafeHtml(text));
}
