// Short messages at the bottom of the screen (an action's outcome). The shell renders
// them; anything can raise one.
export type ToastKind = "ok" | "error" | "info";
export interface Toast { id: number; text: string; kind: ToastKind; }

let nextId = 1;
export const toasts = new EventTarget();

export function toast(text: string, kind: ToastKind = "info") {
  toasts.dispatchEvent(new CustomEvent<Toast>("toast", { detail: { id: nextId++, text, kind } }));
}
