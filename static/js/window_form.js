// Scheduling a survey: as the teacher types the date the opt-out letter went home, the
// hint under it says the first day the survey may open (10 school days, Monday to Friday,
// later; surveys/services/windows.py is the rule, and the server checks it again).
// Without JavaScript the hint shows that day once the form has a date.
(function () {
  "use strict";
  var input = document.getElementById("id_optout_letter_sent_on");
  var hint = document.getElementById("id_optout_letter_sent_on_help");
  if (!input || !hint) { return; }
  var DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  var RULE = "The survey can open 10 school days (weekdays) after the letter went home";

  function earliest(value) {
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (!parts) { return null; }
    var day = new Date(Date.UTC(+parts[1], +parts[2] - 1, +parts[3]));
    if (isNaN(day.getTime())) { return null; }
    for (var left = 10; left > 0;) {
      day.setUTCDate(day.getUTCDate() + 1);
      if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) { left -= 1; }
    }
    return day;
  }

  function update() {
    var day = earliest(input.value);
    hint.textContent = day ? RULE + ": from " + DAYS[day.getUTCDay()] + " " + day.getUTCDate() + " " +
      MONTHS[day.getUTCMonth()] + " " + day.getUTCFullYear() + "." : RULE + ".";
  }

  input.addEventListener("input", update);
  input.addEventListener("change", update);
})();
