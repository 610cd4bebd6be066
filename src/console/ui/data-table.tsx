import { type ColumnDef, type RowSelectionState, type SortingState, type VisibilityState, getCoreRowModel, getSortedRowModel, useReactTable } from "@tanstack/react-table";
import { type ReactNode, useState } from "react";

interface DataTableProps<T> {
  caption: string;
  columns: ColumnDef<T, unknown>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** The column whose cell names the row (a row header for screen readers). */
  rowHeader?: string;
  /** Columns hidden by id (see ColumnChooser). */
  columnVisibility?: VisibilityState;
  /** Rows selectable by a checkbox each (and one for all), for bulk actions; selected by rowKey. */
  selection?: Selection<T>;
}

export interface Selection<T> {
  selected: RowSelectionState;
  onChange: (selected: RowSelectionState) => void;
  canSelect: (row: T) => boolean;
  /** Names the row in its checkbox's label: "Select <label>". */
  label: (row: T) => string;
}

function selectColumn<T>(selection: Selection<T>): ColumnDef<T, unknown> {
  return {
    id: "select",
    enableSorting: false,
    header: ({ table }) => (
      <input
        type="checkbox"
        aria-label="Select all rows"
        checked={table.getIsAllRowsSelected()}
        ref={(el) => {
          if (el) el.indeterminate = table.getIsSomeRowsSelected();
        }}
        onChange={table.getToggleAllRowsSelectedHandler()}
      />
    ),
    cell: ({ row }) => <input type="checkbox" aria-label={`Select ${selection.label(row.original)}`} checked={row.getIsSelected()} disabled={!row.getCanSelect()} onChange={row.getToggleSelectedHandler()} />,
  };
}

/** A sortable table, optionally with hidden columns and selectable rows: each sortable header is a button that says how the column is sorted (aria-sort). */
export function DataTable<T>({ caption, columns, rows, rowKey, rowHeader, columnVisibility = {}, selection }: DataTableProps<T>) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const table = useReactTable({
    data: rows,
    columns: selection ? [selectColumn(selection), ...columns] : columns,
    state: { sorting, columnVisibility, rowSelection: selection?.selected ?? {} },
    onSortingChange: setSorting,
    enableRowSelection: selection ? (row) => selection.canSelect(row.original) : false,
    onRowSelectionChange: (updater) => selection?.onChange(typeof updater === "function" ? updater(selection.selected) : updater),
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getRowId: rowKey,
  });
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                const label = render(header.column.columnDef.header, header.getContext());
                return (
                  <th key={header.id} scope="col" aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}>
                    {header.column.getCanSort() ? (
                      <button type="button" className="sort" onClick={header.column.getToggleSortingHandler()}>
                        {label}
                        <span aria-hidden="true">{sorted === "asc" ? " ▲" : sorted === "desc" ? " ▼" : " ↕"}</span>
                      </button>
                    ) : (
                      label
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((row) => (
            <tr key={row.id}>
              {row.getVisibleCells().map((cell) => {
                const content = render(cell.column.columnDef.cell, cell.getContext());
                return cell.column.id === rowHeader ? (
                  <th key={cell.id} scope="row">
                    {content}
                  </th>
                ) : (
                  <td key={cell.id}>{content}</td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A header or cell is called, not mounted as a component (as flexRender
 * does): pages rebuild their columns on every render, and a new component
 * type each time would remount every cell, losing focus and input.
 */
function render<C>(slot: unknown, context: C): ReactNode {
  return typeof slot === "function" ? (slot as (c: C) => ReactNode)(context) : (slot as ReactNode);
}
