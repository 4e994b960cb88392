// Operator dashboard: plain browser JavaScript over the authenticated API, charts by Chart.js (served locally).
(() => {
  const TEXT = {
    zh: {
      title: '幸福氣簡訊儀表板', load: '載入', volume: '送達率與每日訊息量（近 7 天）', cost: '各供應商費用（新台幣）',
      providers: '供應商狀態', failures: '最近失敗', batches: '批次進度', alerts: '未解決警報',
      messages: '訊息數', deliveryRate: '送達率 (%)', spend: '費用', none: '沒有資料', adminOnly: '需要管理員權限',
      name: '名稱', status: '狀態', started: '已送出', total: '總數', provider: '供應商', priority: '優先順序', today: '今日', circuit: '斷路器', balance: '點數餘額（預估用完）',
      time: '時間', phone: '電話', error: '錯誤', rule: '規則', subject: '對象', since: '開始', other: 'English',
    },
    en: {
      title: 'LuckyGas SMS dashboard', load: 'Load', volume: 'Delivery rate and daily volume (last 7 days)', cost: 'Cost by provider (TWD)',
      providers: 'Provider health', failures: 'Recent failures', batches: 'Batches', alerts: 'Open alerts',
      messages: 'Messages', deliveryRate: 'Delivery rate (%)', spend: 'Cost', none: 'No data', adminOnly: 'Admins only',
      name: 'Name', status: 'Status', started: 'Started', total: 'Total', provider: 'Provider', priority: 'Priority', today: 'Today', circuit: 'Circuit', balance: 'Points left (runs out)',
      time: 'Time', phone: 'Phone', error: 'Error', rule: 'Rule', subject: 'Subject', since: 'Since', other: '中文',
    },
  };
  let lang = 'zh';
  const charts = {};
  let data = null;
  // The API token lives in this closure only: never in localStorage or sessionStorage, where any script on this
  // origin could read it later. Reloading the page means entering it again.
  let token = '';
  const t = (key) => TEXT[lang][key];

  // Prepaid points and the forecast run-out day; a dash while unknown (Twilio, or no reply seen yet).
  const balanceText = (b) => (b ? `${b.points}${b.low ? ' ⚠' : ''}${b.runs_out_at ? ` (${b.runs_out_at.slice(0, 10)})` : ''}` : '—');

  async function get(path) {
    const response = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
    if (response.status === 403) return { forbidden: true };
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  function table(id, headers, rows) {
    const el = document.getElementById(id);
    el.replaceChildren();
    if (rows.forbidden) return void (el.innerHTML = `<tr><td class="muted">${t('adminOnly')}</td></tr>`);
    if (rows.length === 0) return void (el.innerHTML = `<tr><td class="muted">${t('none')}</td></tr>`);
    const head = el.insertRow();
    for (const h of headers) head.insertCell().outerHTML = `<th>${t(h)}</th>`;
    for (const row of rows) {
      const tr = el.insertRow();
      for (const cell of row) tr.insertCell().textContent = cell ?? '';
    }
  }

  function chart(id, config) {
    charts[id]?.destroy();
    charts[id] = new Chart(document.getElementById(id), config);
  }

  function render() {
    document.documentElement.lang = lang === 'zh' ? 'zh-Hant' : 'en';
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    document.getElementById('lang').textContent = t('other');
    if (!data) return;
    const { stats, providers, failures, batches, alerts } = data;
    chart('volumeChart', {
      data: {
        labels: stats.daily.map((d) => d.date),
        datasets: [
          { type: 'bar', label: t('messages'), data: stats.daily.map((d) => d.messages), backgroundColor: '#0b6e4f', yAxisID: 'y', order: 2 },
          { type: 'line', label: t('deliveryRate'), data: stats.daily.map((d) => Math.round(d.delivery_rate * 1000) / 10), borderColor: '#f59e0b', backgroundColor: '#f59e0b', pointRadius: 5, yAxisID: 'rate', order: 1 },
        ],
      },
      options: { animation: false, scales: { y: { beginAtZero: true }, rate: { position: 'right', min: 0, max: 100 } } },
    });
    const byProvider = Object.entries(stats.by_provider).filter(([name]) => name !== 'none');
    chart('costChart', {
      type: 'bar',
      data: { labels: byProvider.map(([name]) => name), datasets: [{ label: t('spend'), data: byProvider.map(([, b]) => b.cost), backgroundColor: ['#0b6e4f', '#2563eb', '#f59e0b'] }] },
      options: { animation: false, scales: { y: { beginAtZero: true } } },
    });
    table(
      'providers',
      ['provider', 'priority', 'today', 'circuit', 'balance'],
      providers.forbidden ? providers : providers.providers.map((p) => [p.name, p.priority, `${p.today.messages} / NT$${p.today.spend}`, p.circuit.state, balanceText(p.balance)]),
    );
    table('failures', ['time', 'phone', 'provider', 'error'], failures.items.map((m) => [m.created_at.slice(0, 19).replace('T', ' '), m.phone, m.provider, m.error_code]));
    table('batches', ['name', 'status', 'started', 'total'], batches.batches.map((b) => [b.name, b.status, b.started_at ? '✓' : '', b.total]));
    table('alerts', ['rule', 'subject', 'since'], alerts.alerts.map((a) => [a.message, a.subject, a.opened_at.slice(0, 19).replace('T', ' ')]));
  }

  async function load() {
    const field = document.getElementById('token');
    if (field.value) token = field.value;
    field.value = '';
    document.getElementById('error').textContent = '';
    try {
      const [stats, providers, failures, batches, alerts] = await Promise.all([
        get('/api/v1/notifications/stats'),
        get('/api/v1/notifications/providers'),
        get('/api/v1/notifications/sms-logs?status=failed&limit=10'),
        get('/api/v1/notifications/batches?limit=10'),
        get('/api/v1/notifications/alerts?state=open'),
      ]);
      data = { stats, providers, failures, batches, alerts };
      render();
      window.dashboardReady = { days: stats.daily.length, messages: stats.totals.messages, providers: Object.keys(stats.by_provider).length };
    } catch (err) {
      document.getElementById('error').textContent = String(err.message || err);
    }
  }

  document.getElementById('load').addEventListener('click', load);
  document.getElementById('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    render();
  });
  render();
})();
