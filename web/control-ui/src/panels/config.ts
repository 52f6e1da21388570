// Config: config.yaml as a form generated from config.schema, or as raw YAML. A save
// shows the change first, then goes out as a JSON merge patch (form: only what the user
// changed, so redacted secrets are never written back) or as the whole text (raw), with
// the hash of the version the user edited. When someone else saved meanwhile the gateway
// refuses that hash; the panel then shows both sides and keeps the user's edit until
// they choose to reload theirs or apply their change on top.
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { GatewayError } from "../gateway/client";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import { confirmDialog } from "../ui/dialog";
import { toast } from "../ui/toast";
import { fmtTime } from "../ui/format";
import { Change, Json, Obj, applyPatch, changesOf, clone, diffPatch, setPath, withoutPlaceholders } from "./config/merge";
import { DiffLine, lineDiff, withContext } from "./config/line-diff";
import { FormCtx, Hint, renderForm } from "./config/schema-form";
import { renderChanges, renderLineDiff } from "./config/review";
import { formStyles } from "./config/styles";

interface ConfigDoc {
  path: string; exists: boolean; valid: boolean; raw: string; config: Obj; hash: string;
  issues: { path: string; line: number; message: string }[];
}
type Mode = "form" | "raw";
interface Review { mode: Mode; patch?: Json; changes?: Change[]; lines?: (DiffLine | null)[]; }
interface Conflict { mode: Mode; theirs: ConfigDoc; }

// Unsaved edits outlive the panel (switching to another panel and back keeps them);
// load() then checks them against the current file like after a reconnect.
interface Kept { doc: ConfigDoc; draft: Obj; rawDraft: string; rawBase: { raw: string; hash: string }; mode: Mode; open: string[]; }
let kept: Kept | null = null;

const isConflict = (e: GatewayError) =>
  e.details?.code === "CONFIG_CONFLICT" || /changed since last load/i.test(e.message);

@customElement("sc-config-panel")
export class ConfigPanel extends Panel {
  static styles = [shared, formStyles];

  @state() private mode: Mode = "form";
  @state() private schema: any = null;
  @state() private hints: Record<string, Hint> = {};
  @state() private doc: ConfigDoc | null = null;
  @state() private draft: Obj = {};
  @state() private rawDraft = "";
  @state() private rawBase: { raw: string; hash: string } = { raw: "", hash: "" };
  @state() private review: Review | null = null;
  @state() private conflict: Conflict | null = null;
  @state() private saving = false;
  @state() private saveError = "";
  @state() private remoteChanged = false;
  @state() private notice = "";
  @state() private tick = 0;  // re-render after an in-place edit of draft / open / errors
  private open = new Set<string>();
  private errors = new Map<string, string>();
  private texts = new Map<string, string>();
  private savedHashes = new Set<string>();

  connectedCallback() {
    if (kept) {
      ({ doc: this.doc, draft: this.draft, rawDraft: this.rawDraft, rawBase: this.rawBase, mode: this.mode } = kept);
      this.open = new Set(kept.open);
      kept = null;
    }
    super.connectedCallback();
    this.listen("config.changed", (p: { hash?: string }) => this.onRemoteChange(p?.hash ?? ""));
    window.addEventListener("beforeunload", this.onUnload);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener("beforeunload", this.onUnload);
    if (this.doc && (this.formDirty || this.rawDirty))
      kept = { doc: this.doc, draft: this.draft, rawDraft: this.rawDraft, rawBase: this.rawBase, mode: this.mode, open: [...this.open] };
  }

  // Leaving the page with unsaved edits: the browser asks first.
  private onUnload = (e: BeforeUnloadEvent) => {
    if (this.doc && (this.formDirty || this.rawDirty)) e.preventDefault();
  };

  private get canWrite(): boolean {
    return this.gw.hasScope("operator.admin") && this.gw.hasMethod("config.patch") && this.gw.hasMethod("config.set");
  }

  private get formPatch(): Json | undefined {
    if (!this.doc) return undefined;
    const p = diffPatch(this.doc.config, this.draft);
    return p === undefined ? undefined : withoutPlaceholders(p);
  }

  private get rawDirty(): boolean {
    return !!this.doc && this.rawDraft !== this.rawBase.raw;
  }

  private get formDirty(): boolean {
    const p = this.formPatch;
    return p !== undefined && !(typeof p === "object" && p !== null && !Array.isArray(p) && !Object.keys(p).length);
  }

  protected async load() {
    const [doc, schema] = await Promise.all([
      this.gw.request<ConfigDoc>("config.get"),
      this.schema ? Promise.resolve(null) : this.gw.request("config.schema").catch(() => null),
    ]);
    if (schema) {
      this.schema = schema.schema;
      this.hints = schema.uiHints ?? {};
    }
    // After a reconnect with edits pending and a newer file: keep the edit on its base,
    // tell the user; the save will go through the conflict path.
    if (this.doc && doc.hash !== this.doc.hash && (this.formDirty || this.rawDirty)) {
      this.remoteChanged = true;
      return;
    }
    this.rebase(doc);
  }

  // Takes `doc` as the new base, carrying pending edits over: the form's as a merge
  // patch re-applied on top, the raw text as it is (still tied to the hash it was
  // written against, so saving it is checked).
  private rebase(doc: ConfigDoc, drop: { form?: boolean; raw?: boolean } = {}) {
    const patch = drop.form ? undefined : this.formPatch;
    const keepRaw = !drop.raw && this.rawDirty;
    this.doc = doc;
    this.draft = patch !== undefined ? applyPatch(clone(doc.config), patch) as Obj : clone(doc.config);
    if (drop.form) { this.errors.clear(); this.texts.clear(); }
    if (!keepRaw) {
      this.rawDraft = doc.raw;
      this.rawBase = { raw: doc.raw, hash: doc.hash };
    }
    this.remoteChanged = false;
  }

  private async onRemoteChange(hash: string) {
    if (!this.doc || hash === this.doc.hash || this.savedHashes.has(hash)) return;
    if (!this.formDirty && !this.rawDirty && !this.review && !this.conflict && !this.saving) {
      await this.reload();
      this.notice = `Reloaded at ${fmtTime(Date.now())}: the config was changed on the gateway.`;
      return;
    }
    this.remoteChanged = true;
  }

  private formCtx(): FormCtx {
    return {
      root: this.schema, hints: this.hints, base: this.doc!.config, draft: this.draft,
      readonly: !this.canWrite || this.saving, open: this.open, errors: this.errors, texts: this.texts,
      set: (path, value) => {
        setPath(this.draft, path, value);
        this.review = null;
        this.tick++;
      },
      refresh: () => this.tick++,
      toRaw: () => this.setMode("raw"),
    };
  }

  private setMode(m: Mode) {
    this.mode = m;
    this.review = null;
    this.saveError = "";
  }

  private startReview() {
    this.saveError = "";
    this.notice = "";
    if (this.mode === "form") {
      if (this.errors.size) return void toast("Fix the highlighted fields first.", "error");
      const patch = this.formPatch;
      if (!this.formDirty) return void toast("Nothing changed.", "info");
      this.review = { mode: "form", patch, changes: changesOf(this.doc!.config, patch) };
    } else {
      if (!this.rawDirty) return void toast("Nothing changed.", "info");
      this.review = { mode: "raw", lines: withContext(lineDiff(this.rawBase.raw, this.rawDraft)) };
    }
  }

  private async save(mode: Mode) {
    if (!this.doc) return;
    this.saving = true;
    this.saveError = "";
    try {
      let r: { hash: string; restart: boolean };
      if (mode === "form") {
        const patch = this.formPatch;
        if (!this.formDirty) return;
        r = await this.gw.request("config.patch", { raw: JSON.stringify(patch), baseHash: this.doc.hash, note: "Control UI form" });
      } else {
        r = await this.gw.request("config.set", { raw: this.rawDraft, baseHash: this.rawBase.hash });
      }
      this.savedHashes.add(r.hash);
      this.review = null;
      this.conflict = null;
      const doc = await this.gw.request<ConfigDoc>("config.get");
      this.rebase(doc, mode === "form" ? { form: true } : { raw: true });
      toast(r.restart ? "Config saved. Some changes apply after a gateway restart." : "Config saved.", "ok");
      this.notice = r.restart ? "Saved: a changed setting (bind, port or TLS) applies only after the gateway restarts." : "";
    } catch (e) {
      const err = e as GatewayError;
      if (isConflict(err)) {
        try {
          const theirs = await this.gw.request<ConfigDoc>("config.get");
          this.conflict = { mode, theirs };
          this.review = null;
        } catch (e2) {
          this.saveError = `The config changed on the gateway, and reading it failed: ${(e2 as Error).message}`;
        }
      } else {
        this.saveError = `Not saved: ${err.message}`;
      }
    } finally {
      this.saving = false;
    }
  }

  private async showTheirs() {
    if (!this.doc) return;
    try {
      const theirs = await this.gw.request<ConfigDoc>("config.get");
      if (theirs.hash === this.doc.hash) return void (this.remoteChanged = false);
      this.conflict = { mode: this.mode, theirs };
      this.review = null;
    } catch (e) {
      this.saveError = (e as Error).message;
    }
  }

  private async reloadTheirs() {
    const c = this.conflict;
    if (!c) return;
    if (!(await confirmDialog("Discard your unsaved changes and load the version saved on the gateway?", "Discard mine", true))) return;
    this.rebase(c.theirs, c.mode === "form" ? { form: true } : { raw: true });
    this.conflict = null;
  }

  private async applyOnTop() {
    const c = this.conflict;
    if (!c) return;
    if (c.mode === "form") {
      this.rebase(c.theirs, { raw: !this.rawDirty });
    } else {
      // A raw edit is the whole file: "on top" means the user's text replaces theirs,
      // now checked against their hash (the diff above showed what that overwrites).
      const formPatch = this.formPatch;
      this.rawBase = { raw: c.theirs.raw, hash: c.theirs.hash };
      this.doc = c.theirs;
      this.draft = applyPatch(clone(c.theirs.config), formPatch ?? {}) as Obj;
    }
    this.conflict = null;
    await this.save(c.mode);
  }

  render() {
    void this.tick;
    if (!this.doc) {
      return html`<h2>Config</h2>${this.error ? html`<p class="error">${this.error}</p>` : html`<p class="muted">Loading…</p>`}`;
    }
    const d = this.doc;
    // Typed text that is not a valid value counts as an edit: saving then says what to fix.
    const dirty = this.mode === "form" ? this.formDirty || this.errors.size > 0 : this.rawDirty;
    return html`
      <h2>Config</h2>
      <div class="toolbar">
        <div class="tabs" role="group" aria-label="Editor">
          <button aria-pressed=${this.mode === "form"} @click=${() => this.setMode("form")}>Form${this.formDirty ? " •" : ""}</button>
          <button aria-pressed=${this.mode === "raw"} @click=${() => this.setMode("raw")}>Raw YAML${this.rawDirty ? " •" : ""}</button>
        </div>
        <span class="muted mono path grow" title=${d.hash}>${d.path}</span>
        <button @click=${() => this.reload()} ?disabled=${this.saving || dirty} title=${dirty ? "Save or undo your edits first" : ""}>Reload</button>
        ${this.canWrite ? html`<button class="primary" @click=${this.startReview} ?disabled=${!dirty || this.saving}>Review &amp; save</button>` : nothing}
      </div>
      ${!this.canWrite ? html`<p class="muted" data-testid="config-readonly">Read only: saving the config needs an admin sign-in.</p>` : nothing}
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${!d.valid && d.issues.length ? html`<div class="error"><strong>The file has problems:</strong>
        ${d.issues.map((i) => html`\n${i.path || "(root)"}${i.line ? ` (line ${i.line})` : ""}: ${i.message}`)}</div>` : nothing}
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${this.remoteChanged && !this.conflict ? html`<div class="card warnbox" role="status" data-testid="config-remote-changed">
        <strong>The config was changed on the gateway</strong> since you loaded it. Your edits are kept.
        <div class="row"><button @click=${this.showTheirs}>Show their changes</button></div></div>` : nothing}
      ${this.renderConflict()}
      ${this.renderReview()}
      ${this.mode === "form" ? this.renderFormMode() : this.renderRawMode()}
    `;
  }

  private renderFormMode() {
    if (!this.schema) return html`<p class="muted">The gateway did not send the config schema: use the raw editor.</p>`;
    return html`<form class="cfg-form" @submit=${(e: Event) => { e.preventDefault(); this.startReview(); }}>
      ${renderForm(this.formCtx())}</form>`;
  }

  private renderRawMode() {
    return html`<label class="raw-label" for="raw">config.yaml
      <span class="muted">Secrets show as __SIMPLECLAW_REDACTED__: leave those as they are to keep the stored values.</span></label>
      <textarea id="raw" class="raw" spellcheck="false" rows="26" .value=${this.rawDraft} ?readonly=${!this.canWrite || this.saving}
        @input=${(e: Event) => { this.rawDraft = (e.target as HTMLTextAreaElement).value; this.review = null; }}></textarea>
      ${this.rawDirty ? html`<div class="row"><button @click=${() => { this.rawDraft = this.rawBase.raw; this.review = null; }}>Undo raw edits</button></div>` : nothing}`;
  }

  private renderReview() {
    const r = this.review;
    if (!r) return nothing;
    return html`<section class="card review" aria-label="Review changes" data-testid="config-review">
      <h3>Review changes</h3>
      ${r.mode === "form" ? renderChanges(r.changes ?? [], this.hints, "config-diff") : renderLineDiff(r.lines ?? [], "config-diff")}
      ${this.saveError ? html`<p class="error">${this.saveError}</p>` : nothing}
      <div class="row">
        <button class="primary" @click=${() => this.save(r.mode)} ?disabled=${this.saving}>${this.saving ? "Saving…" : "Save"}</button>
        <button @click=${() => (this.review = null)} ?disabled=${this.saving}>Back to editing</button>
      </div>
    </section>`;
  }

  private renderConflict() {
    const c = this.conflict;
    if (!c || !this.doc) return nothing;
    let body;
    if (c.mode === "form") {
      const mine = changesOf(this.doc.config, this.formPatch);
      const theirs = changesOf(this.doc.config, diffPatch(this.doc.config, c.theirs.config));
      const minePaths = new Set(mine.map((x) => x.path.join(".")));
      const both = new Set(theirs.map((x) => x.path.join(".")).filter((p) => minePaths.has(p)));
      body = html`<h4>Changed on the gateway</h4>${renderChanges(theirs, this.hints, "config-theirs", both)}
        <h4>Your changes</h4>${renderChanges(mine, this.hints, "config-mine", both)}
        ${both.size ? html`<p class="muted">Applying on top keeps your value where both changed the same setting.</p>` : nothing}`;
    } else {
      body = html`<h4>Their version (−) against yours (+)</h4>${renderLineDiff(withContext(lineDiff(c.theirs.raw, this.rawDraft)), "config-theirs")}`;
    }
    return html`<section class="card warnbox" role="alert" data-testid="config-conflict">
      <h3>Someone else saved the config meanwhile</h3>
      <p>Your changes were not saved and are still here. Choose how to go on:</p>
      ${body}
      ${this.saveError ? html`<p class="error">${this.saveError}</p>` : nothing}
      <div class="row">
        <button class="primary" @click=${this.applyOnTop} ?disabled=${this.saving}>${c.mode === "form" ? "Apply my changes on top" : "Save my version over theirs"}</button>
        <button class="danger" @click=${this.reloadTheirs} ?disabled=${this.saving}>Reload theirs</button>
      </div>
    </section>`;
  }
}
