// Numbers as a person reads them: sizes, durations, money, times.

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value >= 10 || Number.isInteger(value) ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function ms(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(value < 10000 ? 2 : 1)} s`;
}

export function usd(value) {
  if (value === null || value === undefined) return '–';
  if (value === 0) return '$0';
  if (value < 0.0001) return `$${value.toExponential(2)}`;
  return `$${value.toFixed(value < 0.01 ? 6 : 4)}`;
}

export function number(value, digits = 3) {
  if (value === null || value === undefined) return '–';
  return String(Number(value.toFixed(digits)));
}

export function time(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso ?? '';
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
