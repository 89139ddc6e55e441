/* Follow-up questions on the same page (GOV.UK's conditional reveal).
 *
 * Without JavaScript every follow-up is shown, with a hint saying when it applies, and the server
 * ignores the answer to one that does not apply. With JavaScript, a follow-up is hidden until the
 * answers above it make its rule hold. The rule is the questionnaire's own show_if (see
 * survey/questionnaire/rules.py, which this mirrors); answers from earlier pages come with it. */
(function () {
  "use strict";
  var form = document.getElementById("answers");
  if (!form) {
    return;
  }
  var blocks = Array.prototype.slice.call(form.querySelectorAll("[data-reveal-rule]"));

  function controls(name) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.name === name;
    });
  }

  function isChoice(element) {
    return element.type === "radio" || element.type === "checkbox";
  }

  /* The answer under a key as rules.py sees it: a code, a list of codes, text, or null. */
  function answer(name, known) {
    var found = controls(name);
    if (!found.length) {
      return Object.prototype.hasOwnProperty.call(known, name) ? known[name] : null;
    }
    var values = [];
    var list = found.length > 1 && found[0].tagName === "SELECT";
    found.forEach(function (element) {
      if (element.type === "checkbox") {
        list = true;
      }
      var value = element.value.trim();
      if ((!isChoice(element) || element.checked) && value !== "") {
        values.push(value);
      }
    });
    if (list) {
      return values.length ? values : null;
    }
    return values.length ? values[0] : null;
  }

  function given(value) {
    return !(value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length));
  }

  var OPERATORS = {
    equals: function (args, known) {
      var value = answer(String(args[0]), known);
      var wanted = String(args[1]);
      return Array.isArray(value) ? value.indexOf(wanted) !== -1 : given(value) && String(value) === wanted;
    },
    "in": function (args, known) {
      var value = answer(String(args[0]), known);
      var wanted = args[1].map(String);
      if (Array.isArray(value)) {
        return value.some(function (v) { return wanted.indexOf(v) !== -1; });
      }
      return given(value) && wanted.indexOf(String(value)) !== -1;
    },
    answered: function (ref, known) { return given(answer(String(ref), known)); },
    is: function (ref, known) { return answer(String(ref), known) === "yes"; },
    all: function (rules, known) { return rules.every(function (r) { return evaluate(r, known); }); },
    any: function (rules, known) { return rules.some(function (r) { return evaluate(r, known); }); },
    not: function (rule, known) { return !evaluate(rule, known); }
  };

  function evaluate(rule, known) {
    var operator = Object.keys(rule)[0];
    var test = OPERATORS[operator];
    return test ? test(rule[operator], known) : true; // a rule we cannot read: show the question
  }

  /* Every (key, values) a rule compares, as rules.references() gives them. */
  function leaves(rule, found) {
    var operator = Object.keys(rule)[0];
    var args = rule[operator];
    if (operator === "all" || operator === "any") {
      args.forEach(function (r) { leaves(r, found); });
    } else if (operator === "not") {
      leaves(args, found);
    } else if (operator === "equals") {
      found.push([String(args[0]), [String(args[1])]]);
    } else if (operator === "in") {
      found.push([String(args[0]), args[1].map(String)]);
    } else {
      found.push([String(args), []]);
    }
    return found;
  }

  var followUps = blocks.map(function (block) {
    var rule = JSON.parse(block.getAttribute("data-reveal-rule"));
    var known = JSON.parse(block.getAttribute("data-reveal-known") || "{}");
    var inputs = [];
    leaves(rule, []).forEach(function (leaf) {
      controls(leaf[0]).forEach(function (element) {
        var reveals = !isChoice(element) || !leaf[1].length || leaf[1].indexOf(element.value) !== -1;
        if (reveals && inputs.indexOf(element) === -1) {
          inputs.push(element);
          var ids = (element.getAttribute("aria-controls") || "").split(" ").filter(Boolean);
          ids.push(block.id);
          element.setAttribute("aria-controls", ids.join(" "));
        }
      });
    });
    return { block: block, rule: rule, known: known };
  });

  /* GOV.UK also sets aria-expanded on the controlling radios; ARIA does not allow it on a radio
     or checkbox (axe-core refuses it), so only aria-controls is set. */
  function update() {
    followUps.forEach(function (followUp) {
      followUp.block.hidden = !evaluate(followUp.rule, followUp.known);
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
