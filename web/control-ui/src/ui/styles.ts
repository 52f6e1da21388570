// Styles every panel shares (buttons, forms, tables, cards, badges). Panels add their own
// with `static styles = [shared, css\`...\`]`. Never inline style attributes: the page's
// CSP has no 'unsafe-inline' for styles.
import { css } from "lit";

export const shared = css`
  :host { display: block; }
  *, *::before, *::after { box-sizing: border-box; }
  h2 { font-size: 18px; margin: 0 0 var(--gap); }
  h3 { font-size: 15px; margin: var(--gap) 0 8px; }
  a { color: var(--accent); }
  .muted { color: var(--muted); }
  .mono, code, pre { font-family: var(--mono); font-size: 12.5px; }
  .row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  .grow { flex: 1 1 auto; min-width: 0; }
  .card { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); padding: var(--gap); margin-bottom: var(--gap); }
  .toolbar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: var(--gap); }
  button, .button {
    font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid var(--border);
    background: var(--panel); color: var(--fg); cursor: pointer; min-height: 32px;
  }
  button:hover { border-color: var(--accent); }
  button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, a:focus-visible {
    outline: 2px solid var(--accent); outline-offset: 1px;
  }
  button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
  button.danger { color: var(--danger); border-color: var(--danger); }
  button:disabled { opacity: .55; cursor: default; }
  input, select, textarea {
    font: inherit; padding: 6px 8px; border-radius: 6px; border: 1px solid var(--border);
    background: var(--bg); color: var(--fg); min-height: 32px; max-width: 100%;
  }
  textarea { font-family: var(--mono); font-size: 13px; width: 100%; }
  label { display: inline-flex; flex-direction: column; gap: 4px; font-size: 13px; }
  label.inline { flex-direction: row; align-items: center; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--border); vertical-align: top; }
  th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
  .table-wrap { overflow-x: auto; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; border: 1px solid var(--border); white-space: nowrap; }
  .badge.ok { color: var(--ok); border-color: var(--ok); }
  .badge.warn { color: var(--warn); border-color: var(--warn); }
  .badge.bad { color: var(--danger); border-color: var(--danger); }
  .error { color: var(--danger); background: color-mix(in srgb, var(--danger) 10%, transparent); border-radius: 6px; padding: 8px 10px; margin-bottom: var(--gap); white-space: pre-wrap; }
  .empty { color: var(--muted); padding: 24px 0; text-align: center; }
  pre { background: var(--code-bg); padding: 8px 10px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
  dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
  dl.kv dt { color: var(--muted); }
  dl.kv dd { margin: 0; word-break: break-word; }
  .grid { display: grid; gap: var(--gap); grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); }
  @media (max-width: 600px) { .hide-narrow { display: none; } }
`;
