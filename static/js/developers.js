/* 开发者中心: the try-it forms show the answer below the form instead of opening it, and the
   forms of addresses with path parameters (hidden without this script) fill them in. */
(function () {
  'use strict';

  if (!window.fetch || !window.URLSearchParams) { return; }

  function target(form) {
    var path = form.getAttribute('data-path-template') || form.getAttribute('action');
    var inputs = form.querySelectorAll('[data-path-param]');
    for (var i = 0; i < inputs.length; i++) {
      var name = inputs[i].getAttribute('data-path-param');
      path = path.replace('{' + name + '}', encodeURIComponent(inputs[i].value.trim()));
    }
    var query = new URLSearchParams();
    var fields = form.querySelectorAll('input[name]');
    for (var j = 0; j < fields.length; j++) {
      if (fields[j].value.trim() !== '') { query.append(fields[j].name, fields[j].value.trim()); }
    }
    var text = query.toString();
    return text ? path + '?' + text : path;
  }

  function show(box, url, status, body) {
    box.hidden = false;
    box.textContent = '';
    var head = document.createElement('p');
    var link = document.createElement('a');
    link.href = url;
    link.textContent = url;
    head.appendChild(document.createTextNode('HTTP ' + status + ' · '));
    head.appendChild(link);
    var pre = document.createElement('pre');
    pre.className = 'code';
    var code = document.createElement('code');
    code.textContent = body;
    pre.appendChild(code);
    box.appendChild(head);
    box.appendChild(pre);
  }

  function send(form, box) {
    var url = target(form);
    box.hidden = false;
    box.textContent = '正在请求…';
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        return response.text().then(function (text) {
          var body = text;
          try { body = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
          if (body.length > 100000) { body = body.slice(0, 100000) + '\n…（内容过长，已截断）'; }
          show(box, url, response.status, body);
        });
      })
      .catch(function () { box.textContent = '请求失败，请检查网络后重试。'; });
  }

  var forms = document.querySelectorAll('form[data-try-it]');
  for (var i = 0; i < forms.length; i++) {
    forms[i].hidden = false;
    forms[i].addEventListener('submit', function (event) {
      event.preventDefault();
      var form = event.currentTarget;
      send(form, form.querySelector('[data-try-it-result]'));
    });
  }
})();
