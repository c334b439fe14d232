/**
 * The only module that touches @vscode/webview-ui-toolkit (deprecated, still working). Everything
 * else builds controls through these factories, so swapping in @vscode-elements/elements means
 * editing this file alone. The big virtualized tree uses plain DOM rows for speed.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeBadge,
  vsCodeButton,
  vsCodeDivider,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
  vsCodeTag,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';
// The toolkit's own template engine (a dependency of the toolkit), used only to override one template below.
import { html } from '@microsoft/fast-element';

/**
 * The stock tag/badge template binds a `style` attribute (for fill/color, which we never use); under
 * the panel's strict CSP (no 'unsafe-inline') Chromium blocks it and logs a violation. This template
 * is the same minus that attribute.
 */
const plainBadgeTemplate = html`<template><div class="control" part="control"><slot></slot></div></template>`;

let registered = false;
export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeBadge({ template: plainBadgeTemplate }),
    vsCodeDivider(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeProgressRing(),
    vsCodeTag({ template: plainBadgeTemplate }),
    vsCodeTextField(),
  );
}

export function button(label: string, onClick: () => void, opts: { ariaLabel?: string; title?: string; secondary?: boolean; icon?: boolean } = {}): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (opts.secondary) b.setAttribute('appearance', 'secondary');
  if (opts.icon) b.setAttribute('appearance', 'icon');
  b.setAttribute('aria-label', opts.ariaLabel ?? label);
  if (opts.title) b.title = opts.title;
  b.addEventListener('click', onClick);
  return b;
}

/** A small status tag (shown in capitals by the toolkit). */
export function badge(text: string, className: string, title?: string): HTMLElement {
  const t = document.createElement('vscode-tag');
  t.className = className;
  t.textContent = text;
  if (title) t.title = title;
  return t;
}

export function countBadge(count: number, label: string): HTMLElement {
  const b = document.createElement('vscode-badge');
  b.textContent = String(count);
  b.setAttribute('aria-label', `${count} ${label}`);
  return b;
}

export function divider(): HTMLElement {
  return document.createElement('vscode-divider');
}

export function dropdown<T extends string>(options: Array<{ value: T; label: string }>, value: T, onChange: (v: T) => void, ariaLabel: string): HTMLElement & { value: string } {
  const d = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  d.setAttribute('aria-label', ariaLabel);
  for (const o of options) {
    const opt = document.createElement('vscode-option');
    opt.setAttribute('value', o.value);
    opt.textContent = o.label;
    if (o.value === value) opt.setAttribute('selected', '');
    d.appendChild(opt);
  }
  d.addEventListener('change', () => onChange(d.value as T));
  return d;
}

export function textField(placeholder: string, onInput: (v: string) => void, ariaLabel: string): HTMLElement & { value: string } {
  const f = document.createElement('vscode-text-field') as HTMLElement & { value: string };
  f.setAttribute('placeholder', placeholder);
  f.setAttribute('aria-label', ariaLabel);
  f.addEventListener('input', () => onInput(f.value));
  return f;
}

/** An indeterminate progress spinner. */
export function spinner(ariaLabel: string): HTMLElement {
  const r = document.createElement('vscode-progress-ring');
  r.setAttribute('aria-label', ariaLabel);
  return r;
}

/** Updates a button's label (and its accessible name). */
export function setButtonLabel(b: HTMLElement, label: string): void {
  b.textContent = label;
  b.setAttribute('aria-label', label);
}
