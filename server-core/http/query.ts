// application/x-www-form-urlencoded query strings -> flat [key, value, ...]; null on bad percent-encoding.

function decode(s: string): string | null {
  if (s.indexOf("%") < 0 && s.indexOf("+") < 0) return s;
  try {
    return decodeURIComponent(s.indexOf("+") < 0 ? s : s.replace(/\+/g, " "));
  } catch {
    return null;
  }
}

export function parseQuery(raw: string): string[] | null {
  const out: string[] = [];
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf("&", start);
    if (end < 0) end = raw.length;
    if (end > start) {
      const eq = raw.indexOf("=", start);
      const hasEq = eq >= 0 && eq < end;
      const k = decode(raw.slice(start, hasEq ? eq : end));
      const v = hasEq ? decode(raw.slice(eq + 1, end)) : "";
      if (k === null || v === null) return null;
      out.push(k, v);
    }
    start = end + 1;
  }
  return out;
}
