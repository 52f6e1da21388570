// The config panel's own styles (the form, the review and the conflict notice).
import { css } from "lit";

export const formStyles = css`
  .tabs { display: inline-flex; }
  .tabs button { border-radius: 0; }
  .tabs button:first-child { border-radius: 6px 0 0 6px; }
  .tabs button:last-child { border-radius: 0 6px 6px 0; border-left: none; }
  .tabs button[aria-pressed="true"] { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
  .path { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  details.section { border: 1px solid var(--border); border-radius: var(--radius); background: var(--panel); margin-bottom: 8px; }
  details.section details.section { background: var(--bg); }
  details.section > summary { cursor: pointer; padding: 8px 12px; font-weight: 600; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  details.section.top > summary { font-size: 15px; }
  .section-body { padding: 0 12px 10px; }
  .field { display: flex; flex-direction: column; gap: 4px; padding: 6px 0; border-bottom: 1px dashed var(--border); }
  .field:last-child { border-bottom: none; }
  .field label { font-weight: 500; flex-direction: row; align-items: center; gap: 6px; flex-wrap: wrap; }
  .field input, .field select, .field textarea { width: 100%; max-width: 560px; }
  .field.changed input, .field.changed select, .field.changed textarea { border-color: var(--warn); }
  .field.unsupported { flex-direction: row; flex-wrap: wrap; gap: 6px; align-items: baseline; }
  .ulabel { font-weight: 500; font-size: 13px; }
  .help { font-size: 12px; margin: 0; }
  .field-error { color: var(--danger); font-size: 12px; }
  button.link { border: none; background: none; padding: 0; min-height: 0; color: var(--accent); text-decoration: underline; }
  textarea.raw { min-height: 50vh; white-space: pre; overflow: auto; tab-size: 2; }
  .raw-label { display: flex; margin-bottom: 6px; }
  .warnbox { border-left: 4px solid var(--warn); }
  .review { border-left: 4px solid var(--accent); }
  .notice { color: var(--muted); }
  h4 { margin: 10px 0 6px; font-size: 13px; }
  table.changes td.old { color: var(--danger); }
  table.changes td.new { color: var(--ok); }
  table.changes td { word-break: break-word; }
  pre.diff { max-height: 50vh; overflow: auto; white-space: pre; word-break: normal; }
  pre.diff .add { color: var(--ok); }
  pre.diff .del { color: var(--danger); }
  pre.diff .gap, pre.diff .ctx { color: var(--muted); }
`;
