import type { VisibilityState } from "@tanstack/react-table";

/** Which of a table's columns are shown: a disclosure of checkboxes, one per column that may be hidden. */
export function ColumnChooser({ columns, visibility, onChange }: { columns: { id: string; label: string }[]; visibility: VisibilityState; onChange: (v: VisibilityState) => void }) {
  return (
    <details className="column-chooser">
      <summary>Columns</summary>
      <fieldset>
        <legend>Shown columns</legend>
        {columns.map((c) => (
          <label key={c.id} className="check">
            <input type="checkbox" checked={visibility[c.id] !== false} onChange={(e) => onChange({ ...visibility, [c.id]: e.target.checked })} /> {c.label}
          </label>
        ))}
      </fieldset>
    </details>
  );
}
