/*
 * A keyed patch of h.el trees (the shape render.js builds) into the DOM, for lists too large
 * for Dash to re-render every second (floor.js says why; the Today page's table uses it too).
 * Only what changed is touched: a class, an attribute, a text; nodes with a key are moved, not
 * rebuilt. Text is only ever a text node: user text can never become HTML.
 */
(function () {
    "use strict";

    var TAGS = {A: "a", Div: "div", Span: "span", Section: "section", Button: "button", Li: "li",
                Tr: "tr", Td: "td"};


    function flat(children) {
        var out = [];
        (Array.isArray(children) ? children : [children]).forEach(function (c) {
            if (Array.isArray(c)) {
                out = out.concat(flat(c));
            } else if (c !== null && c !== undefined && c !== false) {
                out.push(c);
            }
        });
        return out;
    }

    function attributes(node, props) {
        var before = node.__props || {};
        if (before.className !== props.className) {
            node.className = props.className || "";
        }
        Object.keys(props).forEach(function (k) {
            if (k !== "children" && k !== "className" && k !== "key" && before[k] !== props[k]) {
                node.setAttribute(k, props[k]);
            }
        });
        Object.keys(before).forEach(function (k) {
            if (!(k in props) && k !== "children" && k !== "className" && k !== "key") {
                node.removeAttribute(k);
            }
        });
        node.__props = props;
    }

    function patch(parent, children) {
        var list = children === null || children === undefined ? [] : flat(children);
        var keyed = {};
        Array.prototype.forEach.call(parent.childNodes, function (n) {
            if (n.__key !== undefined) {
                keyed[n.__key] = n;
            }
        });
        list.forEach(function (spec, i) {
            var here = parent.childNodes[i] || null;
            var node;
            if (typeof spec === "object") {
                var key = spec.props.key;
                node = key !== undefined ? keyed[key] : here;
                if (!node || node.__tag !== spec.type) {
                    node = document.createElement(TAGS[spec.type] || "div");
                    node.__tag = spec.type;
                    node.__key = key;
                }
                attributes(node, spec.props);
                patch(node, spec.props.children);
            } else {
                var text = String(spec);
                node = here && here.nodeType === 3 ? here : document.createTextNode(text);
                if (node.nodeValue !== text) {
                    node.nodeValue = text;
                }
            }
            if (node !== here) {
                parent.insertBefore(node, here);
            }
        });
        while (parent.childNodes.length > list.length) {
            parent.removeChild(parent.lastChild);
        }
    }

    // Lay children into a container of the layout (by id); a broken item says so instead.
    function fill(id, children, className) {
        var box = document.getElementById(id);
        if (!box) {
            return;
        }
        if (className !== undefined && box.className !== className) {
            box.className = className;
        }
        patch(box, children);
    }

    // Patch one keyed child of a container in place (one team of the floor), leaving its
    // siblings untouched; false when it is not there to patch.
    function patchChild(id, spec) {
        var box = document.getElementById(id);
        var node = null;
        Array.prototype.some.call(box ? box.childNodes : [], function (n) {
            node = n.__key === spec.props.key ? n : null;
            return node !== null;
        });
        if (!node || node.__tag !== spec.type) {
            return false;
        }
        attributes(node, spec.props);
        patch(node, spec.props.children);
        return true;
    }

    // A broken item (one its page could not draw) says so where its list goes.
    function broken(id, h) {
        fill(id, [h.el("Div", "fb-broken", h.NO_VALUE + " " + h.BROKEN, {key: "broken"})]);
    }

    window.floorboardPatch = {fill: fill, patch: patch, patchChild: patchChild, broken: broken};
})();
