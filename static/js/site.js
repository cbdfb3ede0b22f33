/* 开放数据门户 — progressive enhancements. Every page works without this file. */
(function () {
  'use strict';

  var root = document.documentElement;

  /* 大字版 (large-text mode): a class on <html>, remembered in localStorage. */
  var KEY = 'kaifang.largeText';

  function remembered() {
    try { return window.localStorage.getItem(KEY) === '1'; } catch (e) { return false; }
  }

  function remember(on) {
    try {
      if (on) { window.localStorage.setItem(KEY, '1'); } else { window.localStorage.removeItem(KEY); }
    } catch (e) { /* storage disabled: the mode still works for this page */ }
  }

  var toggles = document.querySelectorAll('[data-large-text-toggle]');

  function apply(on) {
    root.classList.toggle('large-text', on);
    for (var i = 0; i < toggles.length; i++) {
      toggles[i].setAttribute('aria-pressed', on ? 'true' : 'false');
    }
  }

  apply(remembered());
  for (var i = 0; i < toggles.length; i++) {
    toggles[i].hidden = false;
    toggles[i].addEventListener('click', function () {
      var on = !root.classList.contains('large-text');
      apply(on);
      remember(on);
    });
  }

  /* Search filters: open beside the results on wide screens, folded away on phones. */
  var panel = document.querySelector('[data-facet-panel]');
  if (panel && window.matchMedia && window.matchMedia('(max-width: 59.99em)').matches) {
    panel.open = false;
  }
})();
