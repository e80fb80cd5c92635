/* Assetport tabs ([data-tabs]): the tab bar's anchors ([data-tab], href="#panel") show one panel
 * ([data-tab-panel]) at a time. A link or redirect to an anchor inside a panel (#rights, #versions) opens
 * that panel; Left/Right/Home/End move between tabs. Without this script every panel shows, one after the
 * other, and the tab bar is a list of anchors. */
(function () {
  'use strict';

  function setup(root) {
    var tabs = Array.prototype.slice.call(root.querySelectorAll('[data-tab]'));
    var panels = Array.prototype.slice.call(root.querySelectorAll('[data-tab-panel]'));
    if (!tabs.length || !panels.length) return;
    root.classList.add('is-enhanced');

    function panelOf(tab) { return document.getElementById(tab.getAttribute('aria-controls')); }

    function show(index, focus) {
      tabs.forEach(function (tab, i) {
        var on = i === index;
        tab.classList.toggle('active', on);
        tab.setAttribute('aria-selected', on ? 'true' : 'false');
        tab.setAttribute('tabindex', on ? '0' : '-1');
        var panel = panelOf(tab);
        if (panel) panel.classList.toggle('is-active', on);
      });
      if (focus) tabs[index].focus();
    }

    function indexForHash(hash) {
      if (!hash || hash.length < 2) return -1;
      var target = document.getElementById(decodeURIComponent(hash.slice(1)));
      if (!target) return -1;
      for (var i = 0; i < tabs.length; i++) {
        var panel = panelOf(tabs[i]);
        if (panel && (panel === target || panel.contains(target))) return i;
      }
      return -1;
    }

    tabs.forEach(function (tab, i) {
      tab.addEventListener('click', function (event) {
        event.preventDefault();
        show(i, false);
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, '', '#' + tab.getAttribute('aria-controls'));
        }
      });
      tab.addEventListener('keydown', function (event) {
        var next = null;
        if (event.key === 'ArrowRight') next = (i + 1) % tabs.length;
        else if (event.key === 'ArrowLeft') next = (i - 1 + tabs.length) % tabs.length;
        else if (event.key === 'Home') next = 0;
        else if (event.key === 'End') next = tabs.length - 1;
        if (next === null) return;
        event.preventDefault();
        show(next, true);
      });
    });

    var start = indexForHash(window.location.hash);
    show(start >= 0 ? start : 0, false);
    if (start >= 0) {
      var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
      if (target && target.scrollIntoView) target.scrollIntoView({ block: 'start' });
    }
    window.addEventListener('hashchange', function () {
      var index = indexForHash(window.location.hash);
      if (index >= 0) show(index, false);
    });
  }

  document.querySelectorAll('[data-tabs]').forEach(setup);
})();
