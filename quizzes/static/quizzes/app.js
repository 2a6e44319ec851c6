/* The pages' only script (no inline scripts: the CSP forbids them).
   Progressive enhancement: every page works without it. */
(function () {
  "use strict";

  function focusNew(root) {
    var target = (root || document).querySelector("[data-autofocus]");
    if (target) { target.focus(); }
  }

  /* After htmx swaps in the next item or the feedback, move focus to its heading so
     keyboard and screen-reader users continue from there. */
  document.addEventListener("htmx:afterSwap", function (event) {
    focusNew(event.detail && event.detail.target ? document : null);
    enhanceOrdering(document);
  });

  /* Countdown. The server enforces the deadline; this only shows it, announces it to
     screen readers at a few moments, and reloads the attempt when it runs out (the
     server then finishes the attempt and shows the result). */
  function startTimer(timer) {
    var secondsLeft = parseInt(timer.getAttribute("data-seconds-left"), 10);
    if (isNaN(secondsLeft)) { return; }
    var deadline = Date.now() + secondsLeft * 1000;
    var clock = timer.querySelector("[data-clock]");
    var srClock = timer.querySelector("[data-sr-clock]");
    var srAlert = timer.querySelector("[data-sr-alert]");
    var announced = {};
    var expiredUrl = timer.getAttribute("data-expired-url");
    function words(total) {
      var minutes = Math.floor(total / 60), seconds = total % 60;
      var parts = [];
      if (minutes) { parts.push(minutes + (minutes === 1 ? " minute" : " minutes")); }
      if (seconds || !minutes) { parts.push(seconds + (seconds === 1 ? " second" : " seconds")); }
      return parts.join(" ");
    }
    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(left / 60), seconds = left % 60;
      clock.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      srClock.textContent = words(left) + " left";
      [300, 60, 30, 10].forEach(function (mark) {
        if (left <= mark && !announced[mark] && secondsLeft > mark) {
          announced[mark] = true;
          srAlert.textContent = words(left) + " left.";
        }
      });
      timer.classList.toggle("is-low", left <= 60);
      if (left <= 0) {
        srAlert.textContent = "Time is up. Your answers are being submitted.";
        window.clearInterval(handle);
        window.setTimeout(function () { window.location.assign(expiredUrl); }, 300);
      }
    }
    var handle = window.setInterval(tick, 1000);
    tick();
  }

  /* Ordering items: Move up / Move down buttons next to each step's position select;
     moving a step renumbers every select, so the submitted form is the shown order. */
  function renumber(list) {
    var steps = list.querySelectorAll("[data-step]");
    steps.forEach(function (step, index) {
      step.querySelector("[data-rank]").value = String(index + 1);
    });
  }
  function makeButton(label, text, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "move";
    button.textContent = text;
    button.setAttribute("aria-label", label);
    button.addEventListener("click", onClick);
    return button;
  }
  function enhanceOrdering(root) {
    root.querySelectorAll("[data-ordering]:not([data-enhanced])").forEach(function (list) {
      list.setAttribute("data-enhanced", "");
      var status = document.createElement("p");
      status.className = "visually-hidden";
      status.setAttribute("aria-live", "polite");
      list.parentNode.appendChild(status);
      list.querySelectorAll("[data-step]").forEach(function (step) {
        var text = step.querySelector(".step-text").textContent;
        var up = makeButton("Move up: " + text, "↑", function () {
          var previous = step.previousElementSibling;
          if (previous) { list.insertBefore(step, previous); renumber(list); up.focus(); }
          status.textContent = text + ", position " + step.querySelector("[data-rank]").value;
        });
        var down = makeButton("Move down: " + text, "↓", function () {
          var next = step.nextElementSibling;
          if (next) { list.insertBefore(next, step); renumber(list); down.focus(); }
          status.textContent = text + ", position " + step.querySelector("[data-rank]").value;
        });
        step.appendChild(up);
        step.appendChild(down);
      });
    });
  }

  /* Quiz set-up: show the settings of the chosen mode and the blueprint of the chosen
     bank; show the total of the shares. */
  function enhanceQuizForm(form) {
    var mode = form.querySelector("[name=mode]");
    var bank = form.querySelector("[name=bank]");
    function update() {
      form.querySelectorAll("[data-for-modes]").forEach(function (group) {
        group.hidden = group.getAttribute("data-for-modes").split(" ").indexOf(mode.value) < 0;
      });
      form.querySelectorAll("[data-bank]").forEach(function (group) {
        group.hidden = group.getAttribute("data-bank") !== bank.value;
        var total = 0;
        group.querySelectorAll("input").forEach(function (input) {
          total += parseInt(input.value, 10) || 0;
        });
        var out = group.querySelector("[data-share-total]");
        if (out) { out.textContent = total ? "Total of the shares: " + total + " (normalised to 100%)." : ""; }
      });
    }
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var timer = document.getElementById("timer");
    if (timer) { startTimer(timer); }
    enhanceOrdering(document);
    document.querySelectorAll("[data-quiz-form]").forEach(enhanceQuizForm);
  });
})();
