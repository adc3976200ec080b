// A schedule's trigger in words: "every 2 weeks on Wed, Fri at 12:00, Asia/Tokyo".
// Input: the canonical trigger (time_unit lower-case, week points MON..SUN in order, month
// points two-digit ascending; see src/schedules/trigger.h) and the zone its local times are
// read in (the schedule's time_zone; a zone_type 1 trigger names none itself).
const DAYS = { MON: 'Mon', TUE: 'Tue', WED: 'Wed', THU: 'Thu', FRI: 'Fri', SAT: 'Sat', SUN: 'Sun' };

function clock(t) {  // "12:00:00" -> "12:00"; "12:00:30" stays
  return /:00$/.test(t) ? t.slice(0, -3) : t;
}

function ordinal(n) {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th');
  return n + s;
}

function list(items) {
  return items.join(', ');
}

function dateTime(t) {  // "2026-12-01 09:30:00" -> "2026-12-01 09:30"
  return t ? t.replace(/:00$/, '') : t;
}

export function triggerInWords(trigger, zone) {
  if (!trigger || typeof trigger !== 'object') return 'unknown trigger';
  const tz = (t) => t.time_zone || zone || 'server time zone';
  if (trigger.single) {
    const t = trigger.single;
    return `once at ${dateTime(t.time)}, ${tz(t)}`;
  }
  if (trigger.periodical) {
    const p = trigger.periodical;
    const f = Number(p.frequency) || 1;
    const unit = String(p.time_unit || '').toLowerCase();
    let words;
    if (unit === 'day') {
      words = f === 1 ? 'every day' : `every ${f} days`;
    } else if (unit === 'week') {
      const days = (p.point || []).map((d) => DAYS[String(d).toUpperCase()] || d);
      words = (f === 1 ? 'every week' : `every ${f} weeks`) + ` on ${list(days)}`;
    } else if (unit === 'month') {
      const days = (p.point || []).map((d) => ordinal(parseInt(d, 10)));
      words = (f === 1 ? 'every month' : `every ${f} months`) + ` on the ${list(days)}`;
    } else {
      words = `every ${f} ${unit}`;
    }
    return `${words} at ${clock(p.time)}, ${tz(p)}`;
  }
  if (trigger.cron) {
    const c = trigger.cron;
    return `cron “${c.expr}”, ${tz(c)}`;
  }
  return 'unknown trigger';
}

// The window of a periodical or bounded cron trigger, or '' ("from 2026-06-04 00:00 to ...").
export function triggerWindow(trigger) {
  const t = trigger && (trigger.periodical || trigger.cron);
  if (!t || (!t.start && !t.end)) return '';
  const parts = [];
  if (t.start) parts.push(`from ${dateTime(t.start)}`);
  if (t.end) parts.push(`until ${dateTime(t.end)}`);
  return parts.join(' ');
}
