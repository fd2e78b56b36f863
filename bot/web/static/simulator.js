// The simulator page: a phone that talks to the live line, and panes with
// everything the line sends to other numbers. Plain JS, no framework:
// it posts what is typed and polls /simulator/feed.json.
(function () {
  "use strict";
  var root = document.getElementById("sim");
  if (!root) return;
  var csrf = root.dataset.csrf;
  var $ = function (id) { return document.getElementById(id); };
  var feed = [];          // people: [{to, name, roles, messages: [...]}]
  var shown = "";         // what is drawn now, to redraw only on change
  var POLL_MS = 1500;
  var T = root.dataset;   // the page's words, in its language (data-t-* attributes)

  function number() { return $("number").value.trim(); }
  function channel() { return $("channel").value; }
  function mineKey(n) { return "vecina-sim-typed:" + n; }
  function typed(n) {
    try { return JSON.parse(sessionStorage.getItem(mineKey(n)) || "[]"); } catch (e) { return []; }
  }
  function remember(n, text, ts) {
    var rows = typed(n);
    rows.push({text: text, ts: ts});
    sessionStorage.setItem(mineKey(n), JSON.stringify(rows.slice(-200)));
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {ok: false, error: "HTTP " + res.status}; });
    });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // One message from the line, as the chosen channel shows it.
  function bubble(msg, interactive) {
    var box = el("div", "msg line " + channel());
    var view = channel();
    if (view === "ussd") {
      msg.ussd.forEach(function (screen) {
        box.appendChild(el("pre", "ussd-screen", screen));
        box.appendChild(el("small", "meta", screen.length + "/182 characters"));
      });
    } else if (view === "telegram") {
      box.appendChild(el("div", "tg-text", msg.text));
      if (msg.choices.length) {
        var buttons = el("div", "tg-buttons");
        msg.choices.forEach(function (c) {
          var b = el("button", "tg-button", c[1]);
          b.type = "button";
          b.dataset.choice = c[0];
          b.disabled = !interactive;
          b.addEventListener("click", function () { send(String(c[0])); });
          buttons.appendChild(b);
        });
        box.appendChild(buttons);
      }
    } else {
      box.appendChild(el("pre", "sms-text", msg.sms));
      box.appendChild(el("small", "meta", msg.segments + " " + (msg.segments > 1 ? T.tSegments : T.tSegment) +
        ", " + msg.encoding));
    }
    box.appendChild(el("small", "meta status", msg.status + (msg.error ? " — " + msg.error : "")));
    box.dataset.key = msg.key || "";
    return box;
  }

  function draw() {
    var n = number();
    var mine = [];
    var others = [];
    feed.forEach(function (p) { if (p.to === n) mine = p.messages; else others.push(p); });
    var sig = JSON.stringify([n, channel(), typed(n), feed]);
    if (sig === shown) return;
    shown = sig;
    var rows = mine.map(function (m) { return {ts: m.ts, line: m}; })
      .concat(typed(n).map(function (t) { return {ts: t.ts, you: t.text}; }));
    rows.sort(function (a, b) { return a.ts - b.ts; });
    var chat = $("chat");
    chat.textContent = "";
    var lastLine = null;
    rows.forEach(function (r) { if (r.line) lastLine = r.line; });
    rows.forEach(function (r) {
      if (r.you !== undefined) chat.appendChild(el("div", "msg you", r.you));
      else chat.appendChild(bubble(r.line, r.line === lastLine));
    });
    chat.scrollTop = chat.scrollHeight;
    $("phone-number").textContent = n;

    var pane = $("others");
    pane.textContent = "";
    if (!others.length) pane.appendChild(el("p", "empty", T.tNothing));
    others.forEach(function (p) {
      var card = el("div", "card other");
      card.dataset.to = p.to;
      var head = el("div", "other-head");
      head.appendChild(el("b", null, p.to));
      head.appendChild(el("span", "who", " " + (p.name || "") + " " + (p.roles.length ? "(" + p.roles.join(", ") + ")" : "")));
      if (p.playable !== false) {  // a real member's number comes masked: nothing to play
        var play = el("button", "small", T.tPlay);
        play.type = "button";
        play.addEventListener("click", function () { switchTo(p.to, p.roles, p.lang); });
        head.appendChild(play);
      }
      card.appendChild(head);
      p.messages.slice(-20).forEach(function (m) { card.appendChild(bubble(m, false)); });
      pane.appendChild(card);
    });
  }

  function poll() {
    return fetch(root.dataset.feed, {credentials: "same-origin"})
      .then(function (res) { return res.json(); })
      .then(function (data) { if (data.ok) { feed = data.people; draw(); } })
      .catch(function () { /* the next poll tries again */ });
  }

  function send(text) {
    var n = number();
    if (!text.trim()) return Promise.resolve();
    return post(root.dataset.send, {number: n, text: text}).then(function (data) {
      if (!data.ok) { $("who-status").textContent = data.error; return; }
      remember(n, text, data.ts);
      return poll();
    });
  }

  function syncUrl() {
    var q = "?number=" + encodeURIComponent(number()) + "&channel=" + encodeURIComponent(channel());
    history.replaceState(null, "", location.pathname + q);
  }

  function switchTo(to, roles, lang) {
    $("number").value = to;
    document.querySelectorAll("#who input[name=roles]").forEach(function (box) {
      box.checked = roles.indexOf(box.value) >= 0;
    });
    $("lang").value = lang || "";
    syncUrl();
    shown = "";
    draw();
  }

  $("who").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var roles = [];
    document.querySelectorAll("#who input[name=roles]:checked").forEach(function (b) { roles.push(b.value); });
    post(root.dataset.contact, {number: number(), roles: roles, lang: $("lang").value}).then(function (data) {
      $("who-status").textContent = data.ok ? T.tPhoneIs.replace("{number}", data.contact.id) : data.error;
      if (data.ok) { $("number").value = data.contact.id; syncUrl(); shown = ""; draw(); }
    });
  });
  $("channel").addEventListener("change", function () { syncUrl(); shown = ""; draw(); });
  $("compose").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var box = $("text");
    var text = box.value;
    box.value = "";
    send(text);
  });

  poll();
  setInterval(poll, POLL_MS);
})();
