/*
 * A wall screen runs for weeks with nobody at it: the mouse pointer hides when idle, and the
 * screen is asked to stay on (Screen Wake Lock) whenever the page is visible. The page's state
 * for tests and for anyone debugging a screen is on <html>: class fb-idle, and
 * data-wake-lock = held | released | refused | unsupported.
 *
 * (Reloading after an upgrade or a board edit is the shared stream client's, assets/stream.js;
 * rotating between boards too, from the manifest layout.py builds.)
 */
(function () {
    "use strict";

    var IDLE_MS = 3000;
    var root = document.documentElement;
    var idle = null;

    function moved() {
        root.classList.remove("fb-idle");
        clearTimeout(idle);
        idle = setTimeout(function () {
            root.classList.add("fb-idle");
        }, IDLE_MS);
    }

    ["mousemove", "mousedown", "touchstart", "keydown"].forEach(function (name) {
        document.addEventListener(name, moved, {passive: true});
    });
    moved();

    var lock = null;

    function said(state) {
        root.setAttribute("data-wake-lock", state);
    }

    // The browser lets a lock go when the page is hidden: asked again when it is shown.
    function keepAwake() {
        if (document.visibilityState !== "visible" || lock) {
            return;
        }
        if (!navigator.wakeLock) {
            said("unsupported");
            return;
        }
        navigator.wakeLock.request("screen").then(function (held) {
            lock = held;
            said("held");
            held.addEventListener("release", function () {
                lock = null;
                said("released");
            });
        }, function () {
            said("refused"); // not allowed here (no user activation, a policy): asked again
        });
    }

    document.addEventListener("visibilitychange", keepAwake);
    ["click", "keydown", "touchstart"].forEach(function (name) {
        document.addEventListener(name, keepAwake, {passive: true});
    });
    keepAwake();
})();
