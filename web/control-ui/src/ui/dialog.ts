// A modal confirmation built on <dialog> (keyboard and focus handled by the browser).
// Resolves true when the user confirms.
export function confirmDialog(text: string, confirmLabel = "OK", danger = false): Promise<boolean> {
  return new Promise((resolve) => {
    const dlg = document.createElement("dialog");
    dlg.className = "sc-confirm";
    const p = document.createElement("p");
    p.textContent = text;
    const row = document.createElement("div");
    row.className = "sc-confirm-buttons";
    const cancel = document.createElement("button");
    cancel.textContent = "Cancel";
    const ok = document.createElement("button");
    ok.textContent = confirmLabel;
    ok.className = danger ? "danger" : "primary";
    row.append(cancel, ok);
    dlg.append(p, row);
    document.body.append(dlg);
    const finish = (v: boolean) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    cancel.onclick = () => finish(false);
    ok.onclick = () => finish(true);
    dlg.addEventListener("cancel", () => finish(false));
    dlg.showModal();
    ok.focus();
  });
}
