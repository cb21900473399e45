/**
 * How a person is shown. The server names everyone `{id, username, name}`: `name` is the one
 * they gave (e.g. when joining a workshop), the username one made for them or they chose is
 * the identifier (invites, forks). Pure: no DOM.
 */

export interface Named {
  username: string;
  /** Optional: a message from a server older than the field has none. */
  name?: string;
}

/** The name a person gave, else their username. */
export function personName(u: Named): string {
  return u.name?.trim() || u.username;
}

/** The name with the username beside it, for where the username is what one types. */
export function personLabel(u: Named): string {
  const name = personName(u);
  return name === u.username ? name : `${name} (${u.username})`;
}

/** The name a person gave, or "" when they gave none (the server then sends the username as
 * `name`): what a form asking for their name starts with, so that a workshop seat is named as
 * their trees name them and never after the username. */
export function givenName(u: Named): string {
  const name = personName(u);
  return name === u.username ? "" : name;
}

/**
 * A tree's title with its author's name beside it, the name said once: a workshop names each
 * person's tree after them ("Problem tree — Quinn"), and "Problem tree — Quinn (Quinn)" or
 * "… — Priya · Priya" repeats it. `join` puts a name the title lacks beside it.
 */
export function titleWithName(title: string, name: string, join: (title: string, name: string) => string): string {
  const n = name.trim();
  if (!n) return title;
  const t = title.trim();
  if (t === n || t.endsWith(` — ${n}`) || t.endsWith(` - ${n}`)) return title;
  return join(title, name);
}
