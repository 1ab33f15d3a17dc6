/* The sandbox's web client: plain JavaScript, no build step, nothing loaded from outside
   this server. Reads /app/api/state and /app/api/messages, acts through POST /app/api/...,
   and follows the world through the server-sent events of /app/api/events. */
"use strict";

const params = new URLSearchParams(location.search);
const S = {
  user: params.get("user") || localStorage.getItem("sandbox-user") || "admin",
  state: null,            // /api/state
  channel: params.get("channel") || null,
  messages: new Map(),    // channel id -> Map(message id -> message)
  unread: new Set(),
  collapsed: new Set(),
  files: [],              // [{name, base64, size}] to send with the next message
  command: null,          // {path, options: [defs], values: {name: {value, label}}, shown: [names]}
  source: null,           // EventSource
  modalOpen: false,
  failures: new Map(),    // message id -> text under it
};

const $ = (sel) => document.querySelector(sel);
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "html") node.innerHTML = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// ---- icons (inline SVG, nothing fetched) ----------------------------------------------
const ICONS = {
  text: "M5.88 21 7 15H3l.35-2h4l1.06-6h-4l.35-2h4L9.88 0h2l-1.12 5h6L17.88 0h2l-1.12 5h4l-.35 2h-4l-1.06 6h4l-.35 2h-4L15.88 21h-2l1.12-6h-6L7.88 21h-2ZM9.41 7l-1.06 6h6l1.06-6h-6Z",
  announcement: "M3.9 8.26H2V15.2h1.9V8.26ZM19.1 4v5.12c-.58.18-1 .72-1 1.36v2.5c0 .64.42 1.18 1 1.36v5.12L5.9 15.14V8.85L19.1 4Zm-8.1 9.6v3.7h2.8l-.65-3.18L11 13.6Z",
  thread: "M5.43 21 6.6 15H3l.35-2h3.6l1.05-5H4.4l.35-2h3.6L9.5 0h2l-1.15 6h3.9L15.4 0h2l-1.15 6H20l-.35 2h-3.6l-.2 1H14.2l.2-1h-3.9l-1.05 5H12v2H9.05l-1.17 6h-2.45ZM13 13h9v2h-9v-2Zm0 4h9v2h-9v-2Zm0 4h6v2h-6v-2Z",
  forum: "M4 3h12a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2H9l-4 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2Zm16 6h1a1 1 0 0 1 1 1v9h-2v2l-3-2h-6a1 1 0 0 1-1-1v-1h7a3 3 0 0 0 3-3V9Z",
  voice: "M12 3a1 1 0 0 0-1.7-.7L6 6H3a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h3l4.3 3.7A1 1 0 0 0 12 21V3Zm3.1 5.3a1 1 0 0 1 1.4 0 5 5 0 0 1 0 7.4 1 1 0 1 1-1.4-1.4 3 3 0 0 0 0-4.6 1 1 0 0 1 0-1.4Z",
  dm: "M12 2a10 10 0 1 0 4.9 18.7l-.9-1.8A8 8 0 1 1 20 12v1.5a1.5 1.5 0 0 1-3 0V7h-2v.8A5 5 0 1 0 15.6 15 3.5 3.5 0 0 0 22 13.5V12A10 10 0 0 0 12 2Zm0 13a3 3 0 1 1 0-6 3 3 0 0 1 0 6Z",
  event: "M7 2v2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2h-2V2h-2v2H9V2H7Zm-2 8h14v10H5V10Z",
};
function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name] || ICONS.text);
  svg.append(path);
  return svg;
}
function channelIcon(ch) {
  if (ch.type === 1) return icon("dm");
  if ([10, 11, 12].includes(ch.type)) return icon("thread");
  if (ch.type === 5) return icon("announcement");
  if (ch.type === 15 || ch.type === 16) return icon("forum");
  if (ch.type === 2 || ch.type === 13) return icon("voice");
  return icon("text");
}

// ---- API ---------------------------------------------------------------------------------
async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: S.user, ...body }),
  };
  const response = await fetch("/app/api/" + path, options);
  let data = null;
  try { data = await response.json(); } catch (_) { data = { error: `HTTP ${response.status}` }; }
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}
const q = (path, extra) => path + "?" + new URLSearchParams({ user: S.user, ...(extra || {}) });

function toast(text, kind) {
  const node = el("div", { class: "toast" + (kind ? " " + kind : ""), role: "alert" }, text);
  $("#toasts").append(node);
  setTimeout(() => node.remove(), kind === "info" ? 3000 : 6000);
}
function note(text, isError) {
  const n = $("#composer-note");
  n.textContent = text || "";
  n.classList.toggle("error", !!isError);
}

// ---- lookups ---------------------------------------------------------------------------
const channelById = (id) => (S.state?.channels || []).find((c) => c.id === id);
const userById = (id) => (S.state?.people.users || []).find((u) => u.id === id);
const roleById = (id) => (S.state?.people.roles || []).find((r) => r.id === id);
const COLORS = ["#5865f2", "#3ba55c", "#faa61a", "#ed4245", "#eb459e", "#747f8d", "#9b59b6", "#1abc9c"];
function avatar(user, big) {
  const name = user?.display_name || user?.global_name || user?.username || user?.name || "?";
  const id = user?.id || "0";
  const color = COLORS[Number(BigInt(id) % 8n)];
  return el("span", { class: "avatar" + (big ? " big" : ""), style: `background:${color}` }, name[0].toUpperCase());
}
function roleColor(member) {
  const roles = (member?.roles || []).map(roleById).filter((r) => r && r.color);
  roles.sort((a, b) => b.position - a.position);
  return roles.length ? "#" + roles[0].color.toString(16).padStart(6, "0") : null;
}
function displayName(u) { return u?.display_name || u?.global_name || u?.username || u?.name || "unknown"; }

// ---- markdown (Discord's flavour) ----------------------------------------------------------
// Hours as the browser's locale writes them: 09:00 where the day has 24 hours, 9:00 AM elsewhere.
const cycle = new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hourCycle;
const HOUR = cycle === "h23" || cycle === "h24" ? "2-digit" : "numeric";
const TS_STYLES = {
  t: { hour: HOUR, minute: "2-digit" },
  T: { hour: HOUR, minute: "2-digit", second: "2-digit" },
  d: { day: "2-digit", month: "2-digit", year: "numeric" },
  D: { day: "numeric", month: "long", year: "numeric" },
  f: { day: "numeric", month: "long", year: "numeric", hour: HOUR, minute: "2-digit" },
  F: { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: HOUR, minute: "2-digit" },
};
function relative(date) {
  const seconds = (date.getTime() - Date.now()) / 1000;
  const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === "second") return rtf.format(Math.round(seconds / size), unit);
  }
  return "";
}
function formatTimestamp(unix, style) {
  const date = new Date(Number(unix) * 1000);
  if (style === "R") return relative(date);
  return new Intl.DateTimeFormat(undefined, TS_STYLES[style] || TS_STYLES.f).format(date);
}
function tsSpan(unix, style) {
  const full = formatTimestamp(unix, "F");
  return `<span class="ts" data-unix="${esc(unix)}" data-style="${esc(style)}" title="${esc(full)}">${esc(formatTimestamp(unix, style))}</span>`;
}

function inline(text) {
  // Code spans first: nothing inside them is formatted.
  const held = [];
  const hold = (html) => { held.push(html); return `\u0000${held.length - 1}\u0000`; };
  let s = text.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_, __, code) => hold(`<code>${esc(code)}</code>`));
  s = s.replace(/<t:(-?\d+)(?::([tTdDfFR]))?>/g, (_, unix, style) => hold(tsSpan(unix, style || "f")));
  s = s.replace(/<@!?(\d+)>/g, (_, id) => {
    const u = userById(id);
    return hold(`<span class="mention" data-user="${id}">@${esc(u ? displayName(u) : "unknown-user")}</span>`);
  });
  s = s.replace(/<@&(\d+)>/g, (_, id) => {
    const r = roleById(id);
    const color = r && r.color ? `#${r.color.toString(16).padStart(6, "0")}` : null;
    const style = color ? ` style="color:${color};background:${color}1a"` : "";
    return hold(`<span class="mention role"${style}>@${esc(r ? r.name : "deleted-role")}</span>`);
  });
  s = s.replace(/<#(\d+)>/g, (_, id) => {
    const c = channelById(id);
    return hold(`<span class="mention ch-mention" data-channel="${id}">#${esc(c ? c.name : "unknown")}</span>`);
  });
  s = s.replace(/<\/([\w\- ]+):\d+>/g, (_, name) => hold(`<span class="mention">/${esc(name)}</span>`));
  s = s.replace(/<a?:(\w+):\d+>/g, (_, name) => hold(`:${esc(name)}:`));
  s = s.replace(/@(everyone|here)\b/g, (m) => hold(`<span class="mention">${m}</span>`));
  s = s.replace(/\[([^\]\n]+)\]\(<?(https?:\/\/[^\s)>]+)>?\)/g, (_, label, url) =>
    hold(`<a href="${esc(url)}" target="_blank" rel="noreferrer noopener" title="${esc(url)}">${inline(label)}</a>`));
  s = s.replace(/<(https?:\/\/[^\s>]+)>/g, (_, url) => hold(`<a href="${esc(url)}" target="_blank" rel="noreferrer noopener">${esc(url)}</a>`));
  s = s.replace(/https?:\/\/[^\s<]+[^\s<.,:;"')\]]/g, (url) => hold(`<a href="${esc(url)}" target="_blank" rel="noreferrer noopener">${esc(url)}</a>`));
  s = esc(s);
  s = s.replace(/\|\|([\s\S]+?)\|\|/g, '<span class="spoiler" title="Spoiler"><span>$1</span></span>');
  s = s.replace(/\*\*\*([\s\S]+?)\*\*\*/g, "<strong><em>$1</em></strong>");
  s = s.replace(/\*\*([\s\S]+?)\*\*/g, "<strong>$1</strong>");
  s = s.replace(/__([\s\S]+?)__/g, "<u>$1</u>");
  s = s.replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])/g, "$1<em>$2</em>");
  s = s.replace(/(^|[^\w])_(?!\s)([^_\n]+?)_(?!\w)/g, "$1<em>$2</em>");
  s = s.replace(/~~([\s\S]+?)~~/g, "<s>$1</s>");
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => held[Number(i)]);
}

function blocks(text) {
  // Lines: headings, subtext, quotes (> and >>>), lists; the rest inline.
  const lines = text.split("\n");
  const out = [];
  let list = null;
  const closeList = () => { if (list) { out.push(`</${list}>`); list = null; } };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m;
    if (line.startsWith(">>> ")) {
      closeList();
      out.push(`<blockquote>${blocks([line.slice(4), ...lines.slice(i + 1)].join("\n"))}</blockquote>`);
      break;
    }
    if ((m = /^> ?(.*)$/.exec(line)) && line.startsWith(">")) {
      closeList();
      const quoted = [m[1]];
      while (i + 1 < lines.length && lines[i + 1].startsWith(">") && !lines[i + 1].startsWith(">>> ")) {
        quoted.push(lines[++i].replace(/^> ?/, ""));
      }
      out.push(`<blockquote>${blocks(quoted.join("\n"))}</blockquote>`);
      continue;
    }
    if ((m = /^(#{1,3}) (.+)$/.exec(line))) { closeList(); out.push(`<h${m[1].length}>${inline(m[2])}</h${m[1].length}>`); continue; }
    if ((m = /^-# (.+)$/.exec(line))) { closeList(); out.push(`<div class="subtext">${inline(m[1])}</div>`); continue; }
    if ((m = /^\s*[-*] (.+)$/.exec(line))) {
      if (list !== "ul") { closeList(); out.push("<ul>"); list = "ul"; }
      out.push(`<li>${inline(m[1])}</li>`);
      continue;
    }
    if ((m = /^\s*(\d+)\. (.+)$/.exec(line))) {
      if (list !== "ol") { closeList(); out.push(`<ol start="${m[1]}">`); list = "ol"; }
      out.push(`<li>${inline(m[2])}</li>`);
      continue;
    }
    closeList();
    out.push(inline(line) + (i < lines.length - 1 ? "\n" : ""));
  }
  closeList();
  return out.join("");
}

function markdown(text) {
  if (!text) return "";
  const parts = String(text).split(/```(?:([\w+-]+)\n)?([\s\S]*?)```/g);
  let html = "";
  for (let i = 0; i < parts.length; i += 3) {
    html += blocks(parts[i]);
    if (i + 2 < parts.length) html += `<pre><code>${esc((parts[i + 2] || "").replace(/^\n/, ""))}</code></pre>`;
  }
  return html;
}
function md(text, cls) {
  const node = el("div", { class: "md " + (cls || "") });
  node.innerHTML = markdown(text);
  return node;
}

// ---- messages --------------------------------------------------------------------------
const LOOPBACK = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;
function bytes(n) { return n < 1024 ? `${n} bytes` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`; }
function shortTime(iso) {
  const d = new Date(iso);
  const today = new Date();
  const time = d.toLocaleTimeString(undefined, { hour: HOUR, minute: "2-digit" });
  if (d.toDateString() === today.toDateString()) return `Today at ${time}`;
  return `${d.toLocaleDateString()} ${time}`;
}

function renderEmbed(e) {
  const color = e.color !== undefined && e.color !== null ? "#" + Number(e.color).toString(16).padStart(6, "0") : null;
  const node = el("div", { class: "embed", style: color ? `border-left-color:${color}` : null });
  const body = el("div", { class: "embed-body" });
  if (e.author?.name) body.append(el("div", { class: "embed-author" }, e.author.name));
  if (e.title) {
    const title = el("div", { class: "embed-title" });
    if (e.url) title.append(el("a", { href: e.url, target: "_blank", rel: "noreferrer noopener" }, e.title));
    else title.innerHTML = inline(e.title);
    body.append(title);
  }
  if (e.description) body.append(md(e.description, "embed-desc"));
  if (e.fields?.length) {
    const fields = el("div", { class: "embed-fields" });
    // Consecutive inline fields share a row, up to three, as in Discord.
    const widths = [];
    for (let i = 0; i < e.fields.length;) {
      let n = 0;
      while (n < 3 && i + n < e.fields.length && e.fields[i + n].inline) n++;
      if (n <= 1) { widths.push(""); i++; continue; }
      for (let k = 0; k < n; k++) widths.push(n === 2 ? " w6" : " w4");
      i += n;
    }
    for (const [index, f] of e.fields.entries()) {
      const field = el("div", { class: "embed-field" + widths[index] });
      const name = el("div", { class: "embed-field-name" });
      name.innerHTML = inline(f.name || "");
      field.append(name, md(f.value || "", "embed-field-value"));
      fields.append(field);
    }
    body.append(fields);
  }
  for (const key of ["image", "thumbnail"]) {
    const url = e[key]?.url;
    if (url && LOOPBACK.test(url)) body.append(el("img", { src: url, alt: "" }));
  }
  if (e.footer?.text || e.timestamp) {
    const parts = [e.footer?.text, e.timestamp ? shortTime(e.timestamp) : null].filter(Boolean);
    body.append(el("div", { class: "embed-footer" }, parts.join(" • ")));
  }
  node.append(body);
  return node;
}

function renderButton(c, msg) {
  const label = [c.emoji?.name ? c.emoji.name + " " : "", c.label || ""].join("");
  if (c.style === 5 && c.url) {
    return el("a", { class: "btn s5", href: c.url, target: "_blank", rel: "noreferrer noopener" }, label, " ↗");
  }
  const button = el("button", {
    class: `btn s${c.style || 2}`, type: "button", disabled: !!c.disabled,
    dataset: { customId: c.custom_id || "", message: msg.id },
  }, label || "​");
  button.addEventListener("click", async () => {
    button.classList.add("busy");
    try { await interact("click", { message: msg.id, button: c.custom_id }, msg.id); }
    finally { button.classList.remove("busy"); }
  });
  return button;
}

function selectOptions(c) {
  if (c.type === 3) return (c.options || []).map((o) => ({ value: o.value, label: o.label, description: o.description, default: o.default }));
  const users = (S.state.people.users || []).filter((u) => u.member).map((u) => ({ value: u.name, label: displayName(u) }));
  const roles = (S.state.people.roles || []).filter((r) => !r.everyone).map((r) => ({ value: r.name, label: "@" + r.name }));
  const channels = (S.state.channels || []).filter((ch) => ch.type !== 1 && (!c.channel_types || c.channel_types.includes(ch.type)))
    .map((ch) => ({ value: ch.id, label: "#" + ch.name }));
  if (c.type === 5) return users;
  if (c.type === 6) return roles;
  if (c.type === 7) return [...users, ...roles];
  return channels;
}

function renderSelect(c, msg) {
  const max = c.max_values ?? 1;
  const chosen = new Set(selectOptions(c).filter((o) => o.default).map((o) => o.value));
  const wrap = el("div", { class: "select", dataset: { customId: c.custom_id } });
  const box = el("div", { class: "select-box", tabindex: "0", role: "combobox" });
  const label = () => {
    const opts = selectOptions(c).filter((o) => chosen.has(o.value)).map((o) => o.label);
    box.replaceChildren(el("span", {}, opts.length ? opts.join(", ") : (c.placeholder || "Make a selection")), el("span", {}, "▾"));
    box.classList.toggle("chosen", opts.length > 0);
  };
  label();
  let menu = null;
  const submit = async () => {
    if (!chosen.size && (c.min_values ?? 1) > 0) return;
    await interact("select", { message: msg.id, select: c.custom_id, values: [...chosen] }, msg.id);
  };
  const close = async (send) => {
    if (!menu) return;
    menu.remove(); menu = null;
    document.removeEventListener("mousedown", outside, true);
    if (send) await submit();
  };
  const outside = (ev) => { if (!wrap.contains(ev.target)) close(max > 1 && chosen.size > 0); };
  box.addEventListener("click", () => {
    if (c.disabled) return;
    if (menu) { close(max > 1 && chosen.size > 0); return; }
    menu = el("div", { class: "select-menu", role: "listbox" });
    for (const o of selectOptions(c)) {
      const item = el("div", { class: "select-option" + (chosen.has(o.value) ? " on" : ""), role: "option", dataset: { value: o.value } },
        el("div", {}, o.label, o.description ? el("small", {}, o.description) : null));
      item.addEventListener("click", () => {
        if (max > 1) {
          if (chosen.has(o.value)) chosen.delete(o.value); else if (chosen.size < max) chosen.add(o.value);
          item.classList.toggle("on", chosen.has(o.value));
          label();
        } else {
          chosen.clear(); chosen.add(o.value); label(); close(true);
        }
      });
      menu.append(item);
    }
    wrap.append(menu);
    document.addEventListener("mousedown", outside, true);
  });
  wrap.append(box);
  return wrap;
}

function renderComponents(list, msg) {
  const out = [];
  for (const c of list || []) {
    if (c.type === 1) out.push(el("div", { class: "row" }, renderComponents(c.components, msg)));
    else if (c.type === 2) out.push(renderButton(c, msg));
    else if ([3, 5, 6, 7, 8].includes(c.type)) out.push(renderSelect(c, msg));
    else if (c.type === 10) out.push(md(c.content, "content"));
    else if (c.type === 9) out.push(el("div", { class: "section" }, el("div", {}, renderComponents(c.components, msg)), c.accessory ? renderComponents([c.accessory], msg) : null));
    else if (c.type === 14) out.push(el("hr", { class: "separator" }));
    else if (c.type === 17) {
      const color = c.accent_color ? "#" + c.accent_color.toString(16).padStart(6, "0") : null;
      out.push(el("div", { class: "container", style: color ? `border-left-color:${color}` : null }, renderComponents(c.components, msg)));
    }
  }
  return out;
}

function renderAttachments(msg) {
  return (msg.attachments || []).map((a) => {
    const image = /\.(png|jpe?g|gif|webp)$/i.test(a.filename) && LOOPBACK.test(a.url);
    if (image) return el("a", { href: a.url, download: a.filename }, el("img", { class: "attachment-image", src: a.url, alt: a.filename }));
    return el("div", { class: "attachment" }, el("span", { class: "file-icon" }),
      el("div", {}, el("a", { href: a.url, download: a.filename }, a.filename), el("div", { class: "size" }, bytes(a.size || 0))));
  });
}

function grouped(prev, msg) {
  if (!prev || prev.author.id !== msg.author.id || msg.interaction_metadata || msg.message_reference) return false;
  return new Date(msg.timestamp) - new Date(prev.timestamp) < 7 * 60 * 1000 && !prev.ephemeral && !msg.ephemeral;
}

function renderMessage(msg, prev) {
  const author = userById(msg.author.id) || msg.author;
  const isGrouped = grouped(prev, msg);
  const mentioned = (msg.mentions || []).some((u) => u.id === S.state.me.id)
    || (msg.mention_roles || []).some((r) => S.state.me.roles.includes(r));
  const node = el("div", {
    class: ["message", isGrouped && "grouped", msg.ephemeral && "ephemeral", mentioned && "mentioned"].filter(Boolean).join(" "),
    id: "m-" + msg.id, dataset: { id: msg.id, author: author.name || msg.author.username },
  });
  const meta = msg.interaction_metadata;
  if (meta?.user) {
    const who = userById(meta.user.id) || meta.user;
    const used = el("div", { class: "used" }, el("span", { class: "who" }, displayName(who)));
    if (msg.interaction_name) used.append(" used ", el("span", { class: "cmd" }, "/" + msg.interaction_name));
    else if (meta.type === 5) used.append(" submitted a form");
    else if (meta.type === 3) used.append(" clicked a button");
    node.append(used);
    node.classList.add("has-ref");
  }
  if (!isGrouped) {
    node.append(avatar(author, true));
    const name = el("span", { class: "author", style: roleColor(author) ? `color:${roleColor(author)}` : null }, displayName(author));
    node.append(el("div", { class: "msg-head" }, name, msg.author.bot ? el("span", { class: "tag" }, "APP") : null,
      el("span", { class: "msg-time", title: new Date(msg.timestamp).toLocaleString() }, shortTime(msg.timestamp))));
  } else {
    node.append(el("span", { class: "hover-time" }, new Date(msg.timestamp).toLocaleTimeString(undefined, { hour: HOUR, minute: "2-digit" })));
  }
  if (msg.flags & 128) {
    node.append(el("div", { class: "content thinking" }, `${displayName(author)} is thinking…`));
  } else if (msg.content) {
    const content = md(msg.content, "content");
    if (msg.edited_timestamp) content.append(el("span", { class: "edited", title: new Date(msg.edited_timestamp).toLocaleString() }, "(edited)"));
    node.append(content);
  }
  for (const e of msg.embeds || []) node.append(renderEmbed(e));
  node.append(...renderAttachments(msg));
  node.append(...renderComponents(msg.components, msg));
  if (msg.thread) {
    const link = el("div", { class: "thread-link", dataset: { channel: msg.thread.id } }, icon("thread"),
      el("b", {}, msg.thread.name), el("span", {}, `${msg.thread.message_count ?? 0} ${msg.thread.message_count === 1 ? "message" : "messages"} ›`));
    link.addEventListener("click", () => openChannel(msg.thread.id));
    node.append(link);
  }
  if (msg.ephemeral) {
    const dismiss = el("span", { class: "dismiss" }, "Dismiss message");
    dismiss.addEventListener("click", () => node.remove());
    node.append(el("div", { class: "only-you" }, "👁 Only you can see this • ", dismiss));
  }
  if (S.failures.has(msg.id)) node.append(el("div", { class: "failed" }, S.failures.get(msg.id)));
  return node;
}

function sortedMessages(cid) {
  return [...(S.messages.get(cid)?.values() || [])].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
}
function atBottom() { const box = $("#messages"); return box.scrollHeight - box.scrollTop - box.clientHeight < 80; }
function scrollDown() { const box = $("#messages"); box.scrollTop = box.scrollHeight; }

function renderMessages() {
  const box = $("#messages");
  const ch = channelById(S.channel);
  box.replaceChildren();
  if (!ch) return;
  if (ch.type === 15 || ch.type === 16) { renderForum(ch); return; }
  const list = sortedMessages(ch.id);
  box.append(el("div", { class: "empty-channel" }, el("h2", {}, ch.type === 1 ? `@${ch.name}` : `Welcome to #${ch.name}!`),
    el("div", {}, ch.type === 1 ? `This is the beginning of your direct message history with ${ch.name}.` : `This is the start of the #${ch.name} ${[10, 11, 12].includes(ch.type) ? "thread" : "channel"}.`)));
  let prev = null;
  for (const msg of list) { box.append(renderMessage(msg, prev)); prev = msg; }
  scrollDown();
}

function renderForum(ch) {
  const box = $("#messages");
  const posts = S.state.channels.filter((c) => c.parent_id === ch.id);
  box.append(el("div", { class: "empty-channel" }, el("h2", {}, ch.name), el("div", {}, `${posts.length} ${posts.length === 1 ? "post" : "posts"}`)));
  for (const post of posts) {
    const item = el("div", { class: "thread-link", style: "display:flex;margin:8px 16px", dataset: { channel: post.id } }, icon("thread"),
      el("b", {}, post.name), el("span", {}, `${post.message_count} ${post.message_count === 1 ? "message" : "messages"} ›`));
    item.addEventListener("click", () => openChannel(post.id));
    box.append(item);
  }
}

function upsertMessage(msg) {
  const store = S.messages.get(msg.channel_id);
  if (!store) { if (msg.channel_id !== S.channel) { S.unread.add(msg.channel_id); renderChannels(); } return; }
  const isNew = !store.has(msg.id);
  store.set(msg.id, msg);
  if (msg.channel_id !== S.channel) { if (isNew) { S.unread.add(msg.channel_id); renderChannels(); } return; }
  const list = sortedMessages(msg.channel_id);
  const index = list.findIndex((m) => m.id === msg.id);
  const existing = document.getElementById("m-" + msg.id);
  const stick = atBottom();
  const node = renderMessage(msg, list[index - 1]);
  if (existing) existing.replaceWith(node);
  else {
    const next = list.slice(index + 1).map((m) => document.getElementById("m-" + m.id)).find(Boolean);
    if (next) next.before(node); else $("#messages").append(node);
  }
  if (stick || (isNew && msg.interaction_metadata?.user?.id === S.state.me.id)) scrollDown();
}
function removeMessage(id, cid) {
  S.messages.get(cid)?.delete(id);
  document.getElementById("m-" + id)?.remove();
}

// ---- channels --------------------------------------------------------------------------
function renderChannels() {
  const box = $("#channels");
  const chans = S.state.channels;
  const byPos = (a, b) => a.position - b.position || (BigInt(a.id) < BigInt(b.id) ? -1 : 1);
  const top = chans.filter((c) => !c.parent_id && c.type !== 4 && c.type !== 1).sort(byPos);
  const cats = chans.filter((c) => c.type === 4).sort(byPos);
  const threads = (parent) => chans.filter((c) => c.parent_id === parent.id && [10, 11, 12].includes(c.type) && !(parent.type === 15 || parent.type === 16));
  const item = (c) => {
    const node = el("div", {
      class: ["channel", c.id === S.channel && "active", S.unread.has(c.id) && "unread", [10, 11, 12].includes(c.type) && "thread", c.archived && "archived"].filter(Boolean).join(" "),
      role: "treeitem", dataset: { id: c.id, name: c.name },
    }, channelIcon(c), el("span", { class: "name" }, c.name));
    node.addEventListener("click", () => openChannel(c.id));
    return node;
  };
  const nodes = [];
  const dm = chans.find((c) => c.type === 1);
  if (dm) nodes.push(el("div", { class: "category" }, "Direct messages"), item(dm));
  const addWithThreads = (c) => { nodes.push(item(c)); for (const t of threads(c)) nodes.push(item(t)); };
  top.forEach(addWithThreads);
  for (const cat of cats) {
    const collapsed = S.collapsed.has(cat.id);
    const head = el("div", { class: "category" + (collapsed ? " collapsed" : ""), dataset: { id: cat.id } }, el("span", { class: "chev" }, "⌄"), cat.name);
    head.addEventListener("click", () => { if (collapsed) S.collapsed.delete(cat.id); else S.collapsed.add(cat.id); renderChannels(); });
    nodes.push(head);
    const kids = chans.filter((c) => c.parent_id === cat.id).sort(byPos);
    for (const c of kids) if (!collapsed || c.id === S.channel) addWithThreads(c);
  }
  if (S.state.events.length) {
    nodes.push(el("div", { class: "category" }, "Events"));
    const list = el("div", { class: "events-list" });
    for (const ev of S.state.events) {
      const start = Math.floor(new Date(ev.start).getTime() / 1000);
      const when = el("div", { class: "ev-when" });
      when.innerHTML = tsSpan(start, "f");
      const btn = el("button", { class: "btn " + (ev.me ? "s3" : "s2"), type: "button", dataset: { event: ev.id } }, ev.me ? "✓ Interested" : "Interested");
      btn.addEventListener("click", () => act("interested", { event: ev.id, interested: !ev.me }));
      list.append(el("div", { class: "event-item", dataset: { name: ev.name } }, el("div", { class: "ev-name" }, ev.name), when,
        el("div", { class: "ev-when" }, `${ev.interested} interested${ev.location ? " · " + ev.location : ""}`), btn));
    }
    nodes.push(list);
  }
  box.replaceChildren(...nodes);
}

function renderHeader() {
  const ch = channelById(S.channel);
  $("#channel-icon").replaceChildren(ch ? channelIcon(ch) : "");
  $("#channel-name").textContent = ch ? ch.name : "";
  $("#channel-topic").textContent = ch?.topic || "";
  const threadable = ch && [0, 5, 15, 16].includes(ch.type);
  $("#new-thread").hidden = !threadable;
  $("#new-thread").textContent = ch && (ch.type === 15 || ch.type === 16) ? "New post" : "New thread";
  const input = $("#input");
  const forum = ch && (ch.type === 15 || ch.type === 16);
  input.disabled = !ch || forum || ch.can_send === false;
  input.placeholder = !ch ? "" : forum ? "Open a post to write in it" : ch.can_send === false
    ? "You do not have permission to send messages here" : `Message ${ch.type === 1 ? "@" : "#"}${ch.name}`;
  document.title = `${ch ? (ch.type === 1 ? "@" : "#") + ch.name : ""} | ${S.state.guild.name}`;
}

async function openChannel(id) {
  if (!channelById(id)) return;
  S.channel = id;
  S.unread.delete(id);
  const url = new URL(location.href);
  url.searchParams.set("channel", id);
  history.replaceState(null, "", url);
  renderChannels();
  renderHeader();
  cancelCommand();
  const ch = channelById(id);
  if (ch.type !== 15 && ch.type !== 16 && ch.type !== 4) {
    const list = await api(q("messages", { channel: id }));
    if (S.channel !== id) return;
    const store = S.messages.get(id) || new Map();
    // Keep live messages that arrived meanwhile; the fetched list is as recent.
    const fetched = new Map(list.map((m) => [m.id, m]));
    for (const [mid, m] of store) if (!fetched.has(mid) && m.ephemeral) fetched.set(mid, m);
    S.messages.set(id, fetched);
  }
  renderMessages();
}

// ---- people ------------------------------------------------------------------------------
function renderMe() {
  const me = S.state.me;
  $("#me-avatar").replaceWith(Object.assign(avatar(me), { id: "me-avatar" }));
  $("#me-name").textContent = displayName(me);
  const roles = me.roles.map(roleById).filter((r) => r && !r.everyone).map((r) => r.name);
  $("#me-roles").textContent = roles.length ? roles.join(", ") : "member";
  $("#guild-name").textContent = S.state.guild.name;
  $("#guild-icon").textContent = S.state.guild.name.split(/[\s-]+/).map((w) => w[0]).join("").slice(0, 3);
}

function renderMembers() {
  const box = $("#members");
  const members = S.state.people.users.filter((u) => u.member);
  const hoisted = S.state.people.roles.filter((r) => r.hoist);
  const groups = new Map();
  for (const u of members) {
    const roles = u.roles.map(roleById).filter(Boolean).sort((a, b) => b.position - a.position);
    const group = u.bot ? "Apps" : roles.find((r) => r.managed === false && r.name !== "@everyone" && hoisted.includes(r))?.name || "Members";
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(u);
  }
  const order = [...groups.keys()].sort((a, b) => (a === "Members") - (b === "Members") || (a === "Apps") - (b === "Apps"));
  const nodes = [];
  for (const name of order) {
    const list = groups.get(name).sort((a, b) => displayName(a).localeCompare(displayName(b)));
    nodes.push(el("div", { class: "member-group" }, `${name} — ${list.length}`));
    for (const u of list) {
      const color = roleColor(u);
      const node = el("div", { class: "member", dataset: { name: u.name } }, avatar(u),
        el("span", { class: "m-name", style: color ? `color:${color}` : null }, displayName(u)), u.bot ? el("span", { class: "tag" }, "APP") : null);
      node.addEventListener("click", (ev) => showProfile(u, ev.currentTarget));
      nodes.push(node);
    }
  }
  box.replaceChildren(...nodes);
}

function closePopups() { document.querySelectorAll(".profile").forEach((p) => p.remove()); $("#user-menu").hidden = true; }

function showProfile(u, anchor) {
  closePopups();
  const rect = anchor.getBoundingClientRect();
  const card = el("div", { class: "popup profile", style: `top:${Math.min(rect.top, innerHeight - 320)}px;right:252px` });
  card.append(el("div", { style: "display:flex;gap:12px;align-items:center;margin-bottom:8px" }, avatar(u, true),
    el("div", {}, el("h3", {}, displayName(u)), el("div", { class: "sub" }, u.name + (u.owner ? " · server owner" : "")))));
  const roles = u.roles.map(roleById).filter(Boolean).sort((a, b) => b.position - a.position);
  const chips = el("div", {});
  for (const r of roles) {
    const color = r.color ? "#" + r.color.toString(16).padStart(6, "0") : "#99aab5";
    const chip = el("span", { class: "role-chip" }, el("span", { class: "role-dot", style: `background:${color}` }), r.name);
    if (S.state.can_manage_roles && !r.managed) {
      chip.append(el("button", { type: "button", title: `Take ${r.name}`, onclick: () => act("take_role", { role: r.id, member: u.name }) }, "×"));
    }
    chips.append(chip);
  }
  if (!roles.length) chips.append(el("span", { class: "sub" }, "No roles"));
  card.append(el("div", { class: "sub" }, "Roles"), chips);
  if (S.state.can_manage_roles && !u.bot) {
    const choices = S.state.people.roles.filter((r) => !r.everyone && !r.managed && !u.roles.includes(r.id));
    if (choices.length) {
      const select = el("select", { "aria-label": "Role to give" }, choices.map((r) => el("option", { value: r.id }, r.name)));
      const give = el("button", { class: "btn s1", type: "button" }, "Give");
      give.addEventListener("click", () => act("give_role", { role: select.value, member: u.name }));
      card.append(el("div", { class: "give" }, select, give));
    }
  }
  document.body.append(card);
  setTimeout(() => document.addEventListener("mousedown", function away(ev) {
    if (!card.contains(ev.target)) { card.remove(); document.removeEventListener("mousedown", away, true); }
  }, true));
}

function renderUserMenu() {
  const menu = $("#user-menu");
  const people = S.state.people.users.filter((u) => !u.bot && u.member);
  const items = people.map((u) => {
    const node = el("div", { class: "user-item" + (u.id === S.state.me.id ? " current" : ""), dataset: { name: u.name } }, avatar(u), displayName(u));
    node.addEventListener("click", () => switchUser(u.name));
    return node;
  });
  const input = el("input", { placeholder: "New user's name", "aria-label": "New user's name", maxlength: "32" });
  const create = el("button", { class: "btn s1", type: "button" }, "Create");
  const make = async () => {
    const name = input.value.trim();
    if (!name) { toast("Type a name for the new user."); return; }
    try { await api("users", { name }); await switchUser(name); } catch (e) { toast(e.message); }
  };
  create.addEventListener("click", make);
  input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") make(); });
  menu.replaceChildren(el("div", { class: "popup-title" }, "Act as"), ...items, el("div", { class: "user-create" }, input, create));
}

async function switchUser(name) {
  closePopups();
  S.user = name;
  localStorage.setItem("sandbox-user", name);
  const url = new URL(location.href);
  url.searchParams.set("user", name);
  history.replaceState(null, "", url);
  S.messages.clear();
  S.unread.clear();
  S.failures.clear();
  connect();
}

// ---- acting ------------------------------------------------------------------------------
async function act(path, body) {
  try { return await api(path, body); } catch (e) { toast(e.message); return null; }
}

async function interact(path, body, messageId) {
  note("");
  let result;
  try { result = await api(path, body); } catch (e) { toast(e.message); return null; }
  if (result.ok === false) {
    if (messageId) { S.failures.set(messageId, result.failed); const m = findMessage(messageId); if (m) upsertMessage(m); }
    else note(result.failed, true);
    toast(`${result.failed}: ${result.reason}`);
    return result;
  }
  if (messageId && S.failures.delete(messageId)) { const m = findMessage(messageId); if (m) upsertMessage(m); }
  if (result.message) upsertMessage(result.message);
  if (result.modal) openModal(result.modal);
  return result;
}
function findMessage(id) { for (const store of S.messages.values()) if (store.has(id)) return store.get(id); return null; }

// ---- modals (forms) ------------------------------------------------------------------------
function modalFields(modal) {
  const fields = [];
  for (const c of modal.components || []) {
    if (c.type === 1) for (const inner of c.components || []) fields.push({ label: inner.label, description: null, comp: inner });
    else if (c.type === 18) fields.push({ label: c.label, description: c.description, comp: c.component });
    else if (c.type === 10) fields.push({ text: c.content });
  }
  return fields;
}

function openModal(modal) {
  const overlay = $("#overlay");
  const form = el("form", { class: "dialog", role: "dialog", "aria-label": modal.title });
  const bot = userById(S.state.bot_id);
  form.append(el("header", {}, avatar(bot || { name: "A", id: S.state.bot_id }), el("h2", {}, modal.title),
    el("button", { class: "close", type: "button", "aria-label": "Close", onclick: closeModal }, "×")));
  const body = el("div", { class: "body" });
  const inputs = [];
  for (const f of modalFields(modal)) {
    if (f.text !== undefined) { body.append(md(f.text, "field")); continue; }
    const c = f.comp;
    const required = c.required !== false && c.type === 4 ? true : !!c.required;
    const field = el("div", { class: "field" }, el("label", { for: "f-" + c.custom_id }, f.label || c.custom_id, required ? el("span", { class: "req" }, "*") : null));
    let input;
    if (c.type === 4) {
      const attrs = { id: "f-" + c.custom_id, name: c.custom_id, placeholder: c.placeholder || "", maxlength: c.max_length, minlength: c.min_length, required };
      input = c.style === 2 ? el("textarea", attrs) : el("input", { ...attrs, type: "text" });
      input.value = c.value || "";
    } else if (c.type === 3) {
      input = el("select", { id: "f-" + c.custom_id, name: c.custom_id, multiple: (c.max_values ?? 1) > 1 },
        (c.options || []).map((o) => el("option", { value: o.value, selected: !!o.default }, o.label)));
    } else continue;
    inputs.push([c, input]);
    field.append(input);
    if (f.description) field.append(el("div", { class: "hint" }, f.description));
    body.append(field);
  }
  form.append(body);
  const submit = el("button", { class: "btn s1", type: "submit" }, "Submit");
  form.append(el("footer", {}, el("button", { class: "link-btn", type: "button", onclick: closeModal }, "Cancel"), submit));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const values = {};
    for (const [c, input] of inputs) {
      values[c.custom_id] = c.type === 3 ? [...input.selectedOptions].map((o) => o.value) : input.value;
    }
    submit.disabled = true;
    const result = await interact("modal", { values });
    submit.disabled = false;
    if (result && result.ok !== false) closeModal();
  });
  overlay.replaceChildren(form);
  overlay.hidden = false;
  S.modalOpen = true;
  form.querySelector("input, textarea, select")?.focus();
}
function closeModal() { $("#overlay").hidden = true; $("#overlay").replaceChildren(); S.modalOpen = false; }

function openDialog(title, fields, onSubmit) {
  const form = el("form", { class: "dialog", role: "dialog", "aria-label": title });
  form.append(el("header", {}, el("h2", {}, title), el("button", { class: "close", type: "button", "aria-label": "Close", onclick: closeModal }, "×")));
  const body = el("div", { class: "body" });
  for (const f of fields) {
    const input = f.long ? el("textarea", { name: f.name, id: "d-" + f.name, required: true }) : el("input", { name: f.name, id: "d-" + f.name, required: true });
    body.append(el("div", { class: "field" }, el("label", { for: "d-" + f.name }, f.label), input));
  }
  form.append(body, el("footer", {}, el("button", { class: "link-btn", type: "button", onclick: closeModal }, "Cancel"), el("button", { class: "btn s1", type: "submit" }, "Create")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    if (await onSubmit(data)) closeModal();
  });
  $("#overlay").replaceChildren(form);
  $("#overlay").hidden = false;
  form.querySelector("input")?.focus();
}

// ---- slash commands ------------------------------------------------------------------------
function commandPaths() {
  const out = [];
  for (const cmd of S.state.commands) {
    const subs = (cmd.options || []).filter((o) => o.type === 1 || o.type === 2);
    if (!subs.length) { out.push({ path: cmd.name, description: cmd.description, options: cmd.options || [] }); continue; }
    for (const sub of subs) {
      if (sub.type === 1) out.push({ path: `${cmd.name} ${sub.name}`, description: sub.description, options: sub.options || [] });
      else for (const leaf of sub.options || []) out.push({ path: `${cmd.name} ${sub.name} ${leaf.name}`, description: leaf.description, options: leaf.options || [] });
    }
  }
  return out;
}

let popupIndex = 0;
function showCommandPopup(text) {
  const popup = $("#command-popup");
  const typed = text.slice(1).toLowerCase().replace(/\s+/g, " ");
  const matches = commandPaths().filter((c) => c.path.startsWith(typed) || (typed.length > 0 && c.path.includes(typed))).slice(0, 25);
  popupIndex = Math.min(popupIndex, Math.max(0, matches.length - 1));
  const items = matches.map((c, i) => {
    const item = el("div", { class: "popup-item" + (i === popupIndex ? " sel" : ""), dataset: { path: c.path } },
      el("span", { class: "pi-name" }, "/" + c.path), el("span", { class: "pi-desc" }, c.description || ""));
    item.addEventListener("mousedown", (ev) => { ev.preventDefault(); startCommand(c); });
    return item;
  });
  popup.replaceChildren(el("div", { class: "popup-title" }, "Commands"), ...(items.length ? items : [el("div", { class: "popup-empty" }, S.state.commands.length ? "No command matches" : "The bot has registered no commands yet")]));
  popup.hidden = false;
  popup._matches = matches;
}
function hideCommandPopup() { $("#command-popup").hidden = true; popupIndex = 0; }

function startCommand(c, firstValue) {
  hideCommandPopup();
  const input = $("#input");
  input.value = "";
  S.command = { path: c.path, options: c.options, values: {}, typed: {}, shown: c.options.filter((o) => o.required).map((o) => o.name) };
  renderCommandForm();
  const first = $("#command-form input");
  if (first) {
    if (firstValue) { first.value = firstValue; S.command.typed[first.dataset.option] = firstValue; }
    first.focus();
  }
}

function cancelCommand() {
  S.command = null;
  $("#command-form").hidden = true;
  $("#command-form").replaceChildren();
  $("#choice-popup").hidden = true;
  hideCommandPopup();
}

function optionTypeHint(o) {
  return { 3: "text", 4: "whole number", 5: "true or false", 6: "a user", 7: "a channel", 8: "a role", 9: "a user or role", 10: "number", 11: "a file" }[o.type] || "";
}

function renderCommandForm() {
  const form = $("#command-form");
  const cmd = S.command;
  const nodes = [el("span", { class: "cmd-name" }, "/" + cmd.path)];
  for (const name of cmd.shown) {
    const o = cmd.options.find((x) => x.name === name);
    const held = cmd.values[name];
    let input;
    if (o.type === 11) {
      input = el("input", { type: "file", dataset: { option: name } });
      input.addEventListener("change", async () => {
        const file = input.files[0];
        if (file) cmd.values[name] = { value: { name: file.name, base64: await toBase64(file) }, label: file.name };
      });
    } else {
      input = el("input", { type: "text", dataset: { option: name }, placeholder: optionTypeHint(o), autocomplete: "off", "aria-label": name });
      input.value = held ? held.label : cmd.typed[name] || "";
      input.addEventListener("input", () => { delete cmd.values[name]; S.navigated = false; cmd.typed[name] = input.value; suggest(o, input); });
      input.addEventListener("focus", () => { input.parentElement.classList.add("focused"); suggest(o, input); });
      input.addEventListener("blur", () => { input.parentElement.classList.remove("focused"); setTimeout(() => { if (document.activeElement?.dataset?.option !== name) $("#choice-popup").hidden = true; }, 150); });
      input.addEventListener("keydown", (ev) => commandKey(ev, o, input));
    }
    const pill = el("span", { class: "opt", dataset: { option: name } }, el("label", { title: o.description || "" }, name), input);
    if (!o.required) {
      pill.append(el("button", { class: "remove-opt", type: "button", title: "Remove", onclick: () => {
        cmd.shown = cmd.shown.filter((n) => n !== name); delete cmd.values[name]; delete cmd.typed[name]; renderCommandForm();
      } }, "×"));
    }
    nodes.push(pill);
  }
  for (const o of cmd.options.filter((x) => !cmd.shown.includes(x.name))) {
    const add = el("button", { class: "add-opt", type: "button", title: o.description || "", dataset: { add: o.name } }, "+ " + o.name);
    add.addEventListener("click", () => { cmd.shown.push(o.name); renderCommandForm(); form.querySelector(`input[data-option="${o.name}"]`)?.focus(); });
    nodes.push(add);
  }
  form.replaceChildren(...nodes);
  form.hidden = false;
  note(cmd.options.length ? "Tab or click the options; Enter sends, Escape cancels." : "Enter sends, Escape cancels.");
}

function toBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = reject;
    reader.readAsDataURL(file);
  });
}

let suggestSeq = 0;
async function suggest(o, input) {
  const popup = $("#choice-popup");
  const cmd = S.command;
  if (!cmd) return;
  let choices = null;
  const text = input.value;
  if (o.autocomplete) {
    const seq = ++suggestSeq;
    const options = {};
    for (const [k, v] of Object.entries(cmd.values)) options[k] = v.value;
    for (const other of $("#command-form").querySelectorAll("input[type=text]")) {
      const n = other.dataset.option;
      if (n !== o.name && other.value && !(n in options)) options[n] = other.value;
    }
    let result;
    try {
      result = await api("autocomplete", { channel: S.channel, command: cmd.path, option: o.name, value: text, options });
    } catch (e) { note(e.message, true); return; }
    if (seq !== suggestSeq || S.command !== cmd || document.activeElement !== input) return;
    choices = result.choices.map((c) => ({ name: c.name, value: c.value }));
  } else if (o.choices) {
    choices = o.choices.filter((c) => c.name.toLowerCase().includes(text.toLowerCase())).map((c) => ({ name: c.name, value: c.value }));
  } else if (o.type === 5) {
    choices = [{ name: "True", value: true }, { name: "False", value: false }];
  } else if ([6, 8, 9].includes(o.type)) {
    const users = S.state.people.users.filter((u) => u.member).map((u) => ({ name: displayName(u), value: u.name }));
    const roles = S.state.people.roles.filter((r) => !r.everyone).map((r) => ({ name: "@" + r.name, value: r.name }));
    choices = (o.type === 6 ? users : o.type === 8 ? roles : [...users, ...roles]).filter((c) => c.name.toLowerCase().includes(text.toLowerCase()));
  } else if (o.type === 7) {
    choices = S.state.channels.filter((c) => c.type !== 1 && (!o.channel_types || o.channel_types.includes(c.type)) && c.name.includes(text.toLowerCase()))
      .map((c) => ({ name: "#" + c.name, value: c.id }));
  }
  if (!choices) { popup.hidden = true; return; }
  choices = choices.slice(0, 25);
  popupIndex = 0;
  const items = choices.map((c, i) => {
    const item = el("div", { class: "popup-item" + (i === 0 ? " sel" : ""), dataset: { value: String(c.value) } }, el("span", { class: "pi-name" }, c.name));
    item.addEventListener("mousedown", (ev) => { ev.preventDefault(); choose(o, input, c); });
    return item;
  });
  popup.replaceChildren(el("div", { class: "popup-title" }, `${o.name}${o.description ? " — " + o.description : ""}`),
    ...(items.length ? items : [el("div", { class: "popup-empty" }, o.autocomplete ? "No suggestions: the value is sent as typed" : "Nothing matches")]));
  popup._choices = choices;
  popup._option = o;
  popup.hidden = false;
}

function choose(o, input, c) {
  S.navigated = false;
  S.command.values[o.name] = { value: c.value, label: c.name };
  input.value = c.name;
  $("#choice-popup").hidden = true;
  const inputs = [...$("#command-form").querySelectorAll("input[type=text]")];
  const next = inputs[inputs.indexOf(input) + 1];
  if (next) next.focus();
}

function commandKey(ev, o, input) {
  const popup = $("#choice-popup");
  const open = !popup.hidden && popup._option === o && popup._choices?.length;
  if (open && (ev.key === "ArrowDown" || ev.key === "ArrowUp")) {
    ev.preventDefault();
    const items = popup.querySelectorAll(".popup-item");
    popupIndex = (popupIndex + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    items.forEach((it, i) => it.classList.toggle("sel", i === popupIndex));
    S.navigated = true;
    return;
  }
  if (open && ev.key === "Tab" && !ev.shiftKey) { ev.preventDefault(); choose(o, input, popup._choices[popupIndex]); return; }
  if (ev.key === "Escape") { ev.preventDefault(); if (!popup.hidden) popup.hidden = true; else cancelCommand(); $("#input").focus(); return; }
  if (ev.key === "Backspace" && input.value === "" && S.command.shown[0] === o.name) { ev.preventDefault(); cancelCommand(); $("#input").focus(); return; }
  if (ev.key === "Enter") {
    ev.preventDefault();
    // Enter takes the highlighted choice where the value must be one (or after the arrows);
    // text typed into an autocompleted option is otherwise sent as typed.
    const pick = !o.autocomplete || S.navigated;
    if (open && pick && !(o.name in S.command.values)) { choose(o, input, popup._choices[popupIndex]); return; }
    sendCommand();
  }
}

function optionValue(o, text) {
  if (o.type === 4) return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
  if (o.type === 10) return Number.isNaN(Number(text)) ? text : Number(text);
  if (o.type === 5) return /^(true|yes|y|1)$/i.test(text.trim());
  if (o.choices) {
    const match = o.choices.find((c) => c.name.toLowerCase() === text.trim().toLowerCase() || String(c.value) === text.trim());
    return match ? match.value : text;
  }
  return text;
}

async function sendCommand() {
  const cmd = S.command;
  const options = {};
  const missing = [];
  for (const name of cmd.shown) {
    const o = cmd.options.find((x) => x.name === name);
    const input = $(`#command-form input[data-option="${name}"]`);
    if (name in cmd.values) options[name] = cmd.values[name].value;
    else if (input && input.type === "text" && input.value.trim()) options[name] = optionValue(o, input.value);
    else if (o.required) missing.push(name);
  }
  document.querySelectorAll("#command-form .opt").forEach((p) => p.classList.toggle("missing", missing.includes(p.dataset.option)));
  if (missing.length) { note(`Fill in ${missing.join(", ")} first.`, true); return; }
  $("#choice-popup").hidden = true;
  const path = cmd.path;
  cancelCommand();
  note(`Sending /${path}…`);
  const result = await interact("slash", { channel: S.channel, command: path, options });
  if (result && result.ok !== false) note("");
  $("#input").focus();
}

// ---- composer ----------------------------------------------------------------------------
function setupComposer() {
  const input = $("#input");
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = input.scrollHeight + "px";
    if (input.value.startsWith("/") && !input.value.includes("\n")) {
      const typed = input.value.slice(1).toLowerCase().replace(/\s+/g, " ");
      const exact = commandPaths().find((c) => typed.startsWith(c.path + " ") && typed.length > c.path.length + 1);
      if (exact) { startCommand(exact, input.value.slice(1).replace(/\s+/g, " ").slice(exact.path.length + 1)); return; }
      showCommandPopup(input.value);
    } else hideCommandPopup();
  });
  input.addEventListener("keydown", (ev) => {
    const popup = $("#command-popup");
    if (!popup.hidden && popup._matches?.length) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        const n = popup._matches.length;
        popupIndex = (popupIndex + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
        showCommandPopup(input.value);
        return;
      }
      if (ev.key === "Tab" || ev.key === "Enter") { ev.preventDefault(); startCommand(popup._matches[popupIndex]); return; }
    }
    if (ev.key === "Escape") { hideCommandPopup(); return; }
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); sendMessage(); }
  });
  input.addEventListener("blur", () => setTimeout(hideCommandPopup, 150));
  $("#file-input").addEventListener("change", async (ev) => {
    for (const file of ev.target.files) S.files.push({ name: file.name, base64: await toBase64(file), size: file.size });
    ev.target.value = "";
    renderFiles();
  });
  $("#new-thread").addEventListener("click", () => {
    const ch = channelById(S.channel);
    const forum = ch.type === 15 || ch.type === 16;
    openDialog(forum ? "New post" : "New thread", [{ name: "name", label: forum ? "Post title" : "Thread name" }, { name: "text", label: forum ? "Message" : "First message", long: true }],
      async (data) => { const r = await act("thread", { channel: ch.id, name: data.name, text: data.text }); if (r) { await refreshState(); openChannel(r.channel); } return !!r; });
  });
}

function renderFiles() {
  $("#files").replaceChildren(...S.files.map((f, i) => el("span", { class: "file-chip" }, `📎 ${f.name} (${bytes(f.size)}) `,
    el("button", { class: "remove-opt", type: "button", onclick: () => { S.files.splice(i, 1); renderFiles(); } }, "×"))));
}

async function sendMessage() {
  const input = $("#input");
  const text = input.value;
  if (!text.trim() && !S.files.length) return;
  if (text.startsWith("/") && !S.files.length) {
    const typed = text.slice(1).trim().toLowerCase().replace(/\s+/g, " ");
    const found = commandPaths().find((c) => c.path === typed);
    if (found) { startCommand(found); if (!found.options.some((o) => o.required)) sendCommand(); return; }
  }
  const files = S.files.map(({ name, base64 }) => ({ name, base64 }));
  const ok = await act("say", { channel: S.channel, text, files });
  if (ok) { input.value = ""; input.style.height = "auto"; S.files = []; renderFiles(); }
}

// ---- live updates ------------------------------------------------------------------------
async function refreshState() {
  S.state = await api(q("state"));
  if (!channelById(S.channel)) S.channel = S.state.default_channel;
}

function connect() {
  if (S.source) S.source.close();
  $("#live").classList.remove("on");
  const source = new EventSource(q("/app/api/events"));
  S.source = source;
  source.addEventListener("hello", async () => {
    // Subscribed first, then read: nothing that happens in between is missed.
    try { await refreshState(); } catch (e) { toast(e.message); return; }
    S.messages.clear();
    renderMe(); renderMembers(); renderUserMenu();
    await openChannel(S.channel);
    $("#live").classList.add("on");
    document.body.dataset.user = S.state.me.name;
    document.body.dataset.ready = "1";
  });
  const part = (name, apply) => source.addEventListener(name, (ev) => {
    if (!S.state) return;
    apply(JSON.parse(ev.data));
  });
  part("message", upsertMessage);
  part("message_delete", (d) => removeMessage(d.id, d.channel_id));
  part("channels", (channels) => { S.state.channels = channels; if (!channelById(S.channel)) S.channel = S.state.default_channel; renderChannels(); renderHeader(); });
  part("people", (people) => {
    S.state.people = people;
    const me = people.users.find((u) => u.id === S.state.me.id);
    if (me) S.state.me = me;
    renderMe(); renderMembers(); renderUserMenu();
    refreshState().then(() => { renderChannels(); renderHeader(); });
  });
  part("commands", (commands) => { S.state.commands = commands; });
  part("events", (events) => { S.state.events = events; renderChannels(); });
  source.onerror = () => { $("#live").classList.remove("on"); };
}

function tick() {
  for (const node of document.querySelectorAll(".ts[data-style=R]")) node.textContent = formatTimestamp(node.dataset.unix, "R");
}

document.addEventListener("click", (ev) => {
  const spoiler = ev.target.closest(".spoiler");
  if (spoiler) spoiler.classList.add("shown");
  const channel = ev.target.closest(".mention.ch-mention");
  if (channel) openChannel(channel.dataset.channel);
});
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && S.modalOpen) closeModal(); });
$("#me-button").addEventListener("click", () => { const menu = $("#user-menu"); const open = menu.hidden; closePopups(); menu.hidden = !open; });
setupComposer();
connect();
setInterval(tick, 30000);
