//! The public pages' one script, and all of it optional: suggestions under the search box as a
//! patron types. The pages work the same without it.

/// Search as you type. A search box's form names where its suggestions come from
/// (`data-suggest`: an HTML fragment of `li role="option"` elements, each with the address it
/// leads to in `data-href`) and what to call their list (`data-suggest-label`). The box becomes
/// an ARIA combobox (WAI-ARIA 1.2, list autocomplete): typing asks for suggestions after a
/// pause; Down and Up move through them, Enter opens the one chosen, Escape closes the list,
/// and Enter with none chosen searches as before. A click opens one too.
pub const SUGGEST_JS: &str = r#"'use strict';
(function () {
  var forms = document.querySelectorAll('form[data-suggest]');
  Array.prototype.forEach.call(forms, function (form) {
    var input = form.querySelector('input[name="q"]');
    if (!input || !window.fetch) return;
    var list = document.createElement('ul');
    list.id = input.id + '-suggestions';
    list.className = 'suggestions';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', form.getAttribute('data-suggest-label') || '');
    list.hidden = true;
    input.parentNode.insertBefore(list, input.nextSibling);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('autocomplete', 'off');
    var timer = null;
    var asked = '';
    var active = -1;
    var pending = null;
    function options() { return list.querySelectorAll('[role="option"]'); }
    function choose(index) {
      var all = options();
      Array.prototype.forEach.call(all, function (option, at) {
        option.setAttribute('aria-selected', at === index ? 'true' : 'false');
      });
      active = index;
      if (index >= 0 && all[index]) {
        input.setAttribute('aria-activedescendant', all[index].id);
        all[index].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }
    function close() {
      list.hidden = true;
      list.innerHTML = '';
      asked = '';
      input.setAttribute('aria-expanded', 'false');
      choose(-1);
    }
    function open(option) {
      var address = option && option.getAttribute('data-href');
      if (address) window.location.assign(address);
    }
    function ask() {
      var text = input.value.trim();
      if (text === asked) return;
      asked = text;
      if (pending) pending.abort();
      // The server says what is too short to offer anything for (one Latin letter, not one
      // Chinese character).
      if (text.length === 0) { close(); return; }
      pending = new AbortController();
      var address = form.getAttribute('data-suggest') + '?q=' + encodeURIComponent(text);
      fetch(address, { signal: pending.signal, headers: { Accept: 'text/html' } })
        .then(function (response) { return response.ok ? response.text() : ''; })
        .then(function (fragment) {
          if (input.value.trim() !== text) return;
          list.innerHTML = fragment;
          if (options().length === 0) { close(); asked = text; return; }
          list.style.width = input.offsetWidth + 'px';
          list.hidden = false;
          input.setAttribute('aria-expanded', 'true');
          choose(-1);
        })
        .catch(function () {});
    }
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener('keydown', function (event) {
      var count = options().length;
      if (list.hidden || count === 0) return;
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        choose((active + 1) % count);
      } else if (event.key === 'ArrowUp') {
        event.preventDefault();
        choose(active <= 0 ? count - 1 : active - 1);
      } else if (event.key === 'Enter' && active >= 0) {
        event.preventDefault();
        open(options()[active]);
      } else if (event.key === 'Escape') {
        event.preventDefault();
        close();
      }
    });
    // A click on an option must not take the focus from the box first.
    list.addEventListener('mousedown', function (event) { event.preventDefault(); });
    list.addEventListener('click', function (event) {
      open(event.target.closest('[role="option"]'));
    });
    input.addEventListener('blur', function () { close(); });
  });
})();
"#;
