/*
 * The console's alerts (feeds/alerts.py): a queue's longest wait over its limit, a service
 * level under target two intervals running, an agent too long in a state. Each comes as a watch
 * (since when, firing after how many seconds), checked here every second, so an alert fires on
 * the second with nothing sent. A newly firing alert sounds once (a short tone made with Web
 * Audio: no file to fetch), unless this supervisor turned the sound off: the switch is kept in
 * this browser (localStorage), the config gives the default. Browsers only let a page make a
 * sound after a click on it; the switch, or any click, is one.
 *
 * Also the alert rules panel (alert_rules.py): the rules supervisors set, each with Change and
 * Remove (the console's server callbacks act on the buttons' ids), and the config's defaults
 * under them, which apply wherever no rule says otherwise.
 */
(function () {
    "use strict";

    var KEY = "fb-alert-sound";
    var firingBefore = null; // watch ids firing at the last render (null: none yet rendered)
    var audio = null;
    var state = window.floorboardAlerts = {beeps: 0, sound: true}; // beeps: for the tests

    function stored() {
        try {
            return window.localStorage.getItem(KEY);
        } catch (e) {
            return null; // storage refused: the config's default
        }
    }

    function soundOn(byDefault) {
        var kept = stored();
        return kept === null ? byDefault !== false : kept === "on";
    }

    function beep() {
        state.beeps += 1;
        try {
            audio = audio || new (window.AudioContext || window.webkitAudioContext)();
            if (audio.state === "suspended") {
                audio.resume();
            }
            var tone = audio.createOscillator(), gain = audio.createGain();
            tone.frequency.value = 880;
            gain.gain.value = 0.15;
            tone.connect(gain);
            gain.connect(audio.destination);
            tone.start();
            tone.stop(audio.currentTime + 0.3);
        } catch (e) { /* no audio device: the alert is still on screen */ }
    }

    function label(h) {
        h.setProps("console-alert-sound", {children: state.sound ? "Sound on" : "Sound off",
            "aria-pressed": state.sound ? "true" : "false"});
    }

    function render(spec, item, now, h) {
        if (item.broken) {
            h.brokenList(spec.id);
            return;
        }
        state.sound = soundOn(item.sound);
        var firing = h.firing(item.list, now);
        var fresh = firing.filter(function (w) {
            return firingBefore !== null && !firingBefore[w.id];
        });
        firingBefore = {};
        firing.forEach(function (w) {
            firingBefore[w.id] = true;
        });
        if (fresh.length && state.sound) {
            beep();
        }
        h.setProps(spec.id, {children: firing.length ? firing.map(function (w) {
            var over = w.kind === "sl" ? "" : " \u00B7 " + h.ago(now - w.since - w.after) +
                " past it";
            return h.el("Div", h.cls("fb-alert", "fb-alert-" + w.kind), w.text + over,
                {key: w.id});
        }) : h.empty("Nothing needs you now.")});
        label(h);
    }

    document.addEventListener("click", function (e) {
        if (e.target.closest && e.target.closest("#console-alert-sound")) {
            state.sound = !state.sound;
            try {
                window.localStorage.setItem(KEY, state.sound ? "on" : "off");
            } catch (err) { /* kept for this page only */ }
            label(window.floorboard);
        }
        if (audio && audio.state === "suspended") {
            audio.resume();
        }
    });

    function renderRules(spec, item, now, h) {
        var button = window.floorboardConsole.button; // console.js, loaded before this file
        if (item.broken) {
            h.brokenList(spec.id);
            return;
        }
        var rows = (item.list || []).map(function (r) {
            return h.el("Div", h.cls("fb-item", "fb-alert-rule"), [
                h.el("Div", "fb-item-head", [h.el("Span", "fb-strong", r.text)]),
                h.el("Div", "fb-item-foot", [
                    h.el("Span", "fb-meta", "by " + r.author + ", " + h.when(r.updated, now)),
                    h.el("Span", "fb-buttons", [
                        button(h, "Change", "console-alert-edit", r.id),
                        button(h, "Remove", "console-alert-remove", r.id, "fb-danger")
                    ])
                ])
            ], {key: r.id});
        });
        var defaults = h.el("Div", "fb-alert-defaults", [
            h.el("Div", "fb-meta", rows.length ? "Elsewhere, from the config:" :
                "No rules set: the config's apply.")
        ].concat((item.defaults || []).map(function (d, i) {
            return h.el("Div", "fb-alert-default", d, {key: "d" + i});
        })), {key: "defaults"});
        h.setProps(spec.id, {children: rows.concat([defaults])});
    }

    window.floorboardRenderers = window.floorboardRenderers || {};
    window.floorboardRenderers["console-alerts"] = render;
    window.floorboardRenderers["console-alert-rules"] = renderRules;
})();
