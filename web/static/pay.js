// Hints only: the payment form works the same without this script.
(function () {
  var input = document.getElementById('CardNumber');
  var hint = document.getElementById('CardNumber-hint');
  if (!input || !hint) { return; }
  function luhn(d) {
    var sum = 0, alt = false;
    for (var i = d.length - 1; i >= 0; i--) {
      var n = d.charCodeAt(i) - 48;
      if (alt) { n *= 2; if (n > 9) { n -= 9; } }
      sum += n;
      alt = !alt;
    }
    return sum % 10 === 0;
  }
  function check() {
    var d = input.value.replace(/\s+/g, '');
    var bad = d.length >= 12 && (!/^[0-9]+$/.test(d) || !luhn(d));
    hint.hidden = !bad;
    input.setAttribute('aria-invalid', bad ? 'true' : 'false');
  }
  input.addEventListener('blur', check);
  input.addEventListener('input', function () { if (!hint.hidden) { check(); } });
})();
