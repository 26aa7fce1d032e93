/** SINK_TOPICS: a regex when it starts with `^`, else a comma list of exact names. */
export type TopicSelector = { kind: 'regex'; regex: RegExp } | { kind: 'list'; topics: string[] };

export function parseTopicSelector(spec: string): TopicSelector {
  const s = spec.trim();
  if (s.startsWith('^')) return { kind: 'regex', regex: new RegExp(s) };
  return {
    kind: 'list',
    topics: s
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t.length > 0),
  };
}

export function matchTopics(sel: TopicSelector, existing: string[], dlqTopic: string): string[] {
  const out = sel.kind === 'regex' ? existing.filter((t) => sel.regex.test(t)) : sel.topics.filter((t) => existing.includes(t));
  // Never consume our own dead letters or Kafka's internal topics.
  return out.filter((t) => t !== dlqTopic && !t.startsWith('__')).sort();
}
