// Starts Swagger UI for /docs. A served file rather than an inline script, so the page's CSP forbids inline script.
// persistAuthorization stays off: an entered token is kept in memory only, never in localStorage.
(() => {
  const ui = document.getElementById('ui');
  window.ui = SwaggerUIBundle({ url: ui.dataset.specUrl, dom_id: '#ui', persistAuthorization: false });
})();
