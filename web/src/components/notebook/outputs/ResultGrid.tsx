import {
  type CellClassParams,
  type CellClickedEvent,
  type CellKeyDownEvent,
  CellStyleModule,
  type ColDef,
  ColumnAutoSizeModule,
  colorSchemeDark,
  colorSchemeLight,
  type GridApi,
  type GridReadyEvent,
  type IDatasource,
  type IHeaderParams,
  InfiniteRowModelModule,
  NumberFilterModule,
  TextFilterModule,
  TooltipModule,
  themeQuartz,
  type ValueFormatterParams,
} from 'ag-grid-community'
import { AgGridReact } from 'ag-grid-react'
import './ResultGrid.css'
import { type RefObject, useEffect, useMemo, useRef, useState } from 'react'
import {
  type CellRange,
  type HeaderFilter,
  type HeaderSort,
  headerPageRequest,
  inRange,
  MAX_COPY_ROWS,
  NUMBER_FILTER_OPTIONS,
  normalizeRange,
  rangeText,
  TEXT_FILTER_OPTIONS,
} from '../../../core/notebook/grid-model.ts'
import type { ColumnStats, PageRequest, TableColumn } from '../../../core/notebook/table-types.ts'
import { displayValue, isNumericType, isSpecialFloat } from '../../../core/notebook/table-view.ts'
import { effectiveTheme, onThemeChange, storedTheme } from '../../../core/ui/theme.ts'

/** Rows fetched per request as the viewport moves, and how many such blocks stay cached. */
const BLOCK = 200
const CACHED_BLOCKS = 20
const ROW_HEIGHT = 28
const HEADER_HEIGHT = 58
const FILTER_ROW_HEIGHT = 34
const MAX_HEIGHT = 440

const MODULES = [
  InfiniteRowModelModule,
  TextFilterModule,
  NumberFilterModule,
  CellStyleModule,
  TooltipModule,
  ColumnAutoSizeModule,
]

const lightTheme = themeQuartz.withPart(colorSchemeLight).withParams({ fontSize: 13, headerFontSize: 12 })
const darkTheme = themeQuartz.withPart(colorSchemeDark).withParams({ fontSize: 13, headerFontSize: 12 })

export interface GridRows {
  rows: unknown[][]
  totalRows: number
}

export interface ResultGridProps {
  columns: TableColumn[]
  stats?: ColumnStats[]
  /** Columns masked for this caller: marked in the header, not filterable or sortable. */
  masked: string[]
  /** Rows `[offset, offset + limit)` under the headers' sort and filters: the server's page endpoint, or local rows. */
  fetchRows: (request: PageRequest) => Promise<GridRows>
  /** Rows before any filter, to size the grid before the first page arrives. */
  initialTotal: number
  /** The row count under the current filters, whenever a page tells it. */
  onTotal?: (total: number) => void
  onError?: (err: unknown) => void
  /** Set to a function copying the selected range (the toolbar's Copy button calls it). */
  copyRef?: RefObject<(() => Promise<number>) | null>
}

/**
 * A SQL result on AG Grid's infinite row model: only the blocks of rows in view are fetched (and a few
 * around them are cached), so a million-row result scrolls without ever being in the browser whole. Sort
 * and filter come from the headers and run on the server over the kept result; cells are selected with a
 * click and Shift-click and copied with Ctrl/Cmd-C, fetching rows that were never on screen.
 */
export default function ResultGrid(props: ResultGridProps) {
  const { columns, stats, masked, fetchRows, onTotal, onError, copyRef } = props
  const api = useRef<GridApi | null>(null)
  const range = useRef<CellRange | undefined>(undefined)
  const [theme, setTheme] = useState(() => effectiveTheme(storedTheme()))
  useEffect(() => onThemeChange((t) => setTheme(effectiveTheme(t))), [])

  // Kept in refs so the datasource (given to the grid once) always calls the latest props.
  const latest = useRef({ fetchRows, onTotal, onError })
  latest.current = { fetchRows, onTotal, onError }

  const datasource = useMemo<IDatasource>(
    () => ({
      getRows: (params) => {
        const request = headerPageRequest(
          columns,
          params.startRow,
          params.endRow,
          params.sortModel as HeaderSort[],
          params.filterModel as Record<string, HeaderFilter>,
        )
        latest.current.fetchRows(request).then(
          (page) => {
            params.successCallback(page.rows, page.totalRows)
            latest.current.onTotal?.(page.totalRows)
          },
          (err: unknown) => {
            params.failCallback()
            latest.current.onError?.(err)
          },
        )
      },
    }),
    [columns],
  )

  const columnDefs = useMemo<ColDef<unknown[]>[]>(
    () =>
      columns.map((c, i) => {
        const numeric = isNumericType(c.type)
        const isMasked = masked.includes(c.name)
        const stat = stats?.find((s) => s.name === c.name)
        return {
          colId: String(i),
          headerName: c.name,
          headerTooltip: `${c.name}: ${c.type}${stat ? ` · ${statsText(stat)}` : ''}`,
          valueGetter: (p) => p.data?.[i],
          valueFormatter: (p: ValueFormatterParams<unknown[]>) => (p.data ? displayValue(p.value) : ''),
          type: numeric ? 'rightAligned' : undefined,
          sortable: !isMasked,
          // Filtering on a masked column would tell its values apart: the server refuses it.
          filter: isMasked ? false : numeric ? 'agNumberColumnFilter' : 'agTextColumnFilter',
          floatingFilter: !isMasked,
          filterParams: {
            filterOptions: numeric ? NUMBER_FILTER_OPTIONS : TEXT_FILTER_OPTIONS,
            maxNumConditions: 1,
            debounceMs: 300,
          },
          headerComponentParams: {
            innerHeaderComponent: HeaderLabel,
            innerHeaderComponentParams: { type: c.type, stats: stat, masked: isMasked },
          },
          cellClassRules: {
            'wb-null': (p: CellClassParams<unknown[]>) => p.data !== undefined && p.value === null,
            'wb-special-float': (p: CellClassParams<unknown[]>) => isSpecialFloat(c.type, p.value),
            'wb-masked': () => isMasked,
            'wb-in-range': (p: CellClassParams<unknown[]>) => inRange(range.current, p.node.rowIndex ?? -1, i),
          },
        }
      }),
    [columns, stats, masked],
  )

  const copy = async (): Promise<number> => {
    const grid = api.current
    if (!grid || !range.current) return 0
    const r = normalizeRange(range.current)
    const sortModel: HeaderSort[] = grid
      .getColumnState()
      .filter((s) => s.sort)
      .sort((a, b) => (a.sortIndex ?? 0) - (b.sortIndex ?? 0))
      .map((s) => ({ colId: s.colId, sort: s.sort }))
    const count = Math.min(r.bottom - r.top + 1, MAX_COPY_ROWS)
    const request = headerPageRequest(columns, r.top, r.top + count, sortModel, grid.getFilterModel())
    const page = await latest.current.fetchRows(request)
    await navigator.clipboard.writeText(rangeText(columns, page.rows, r.left, r.right))
    return page.rows.length
  }
  if (copyRef) copyRef.current = copy

  const select = (e: CellClickedEvent<unknown[]>) => {
    if (e.rowIndex === null) return
    const cell = { row: e.rowIndex, col: Number(e.column.getColId()) }
    const shift = e.event instanceof MouseEvent && e.event.shiftKey
    range.current =
      shift && range.current ? { anchor: range.current.anchor, focus: cell } : { anchor: cell, focus: cell }
    e.api.refreshCells({ force: true })
  }
  const keyDown = (e: CellKeyDownEvent<unknown[]>) => {
    const key = e.event
    if (!(key instanceof KeyboardEvent) || !(key.ctrlKey || key.metaKey) || key.key.toLowerCase() !== 'c') return
    if (!range.current && e.rowIndex !== null) {
      const cell = { row: e.rowIndex, col: Number(e.column.getColId()) }
      range.current = { anchor: cell, focus: cell }
    }
    key.preventDefault()
    copy().catch((err: unknown) => latest.current.onError?.(err))
  }

  const height = Math.min(
    MAX_HEIGHT,
    HEADER_HEIGHT + FILTER_ROW_HEIGHT + Math.max(props.initialTotal, 1) * ROW_HEIGHT + 18,
  )
  return (
    <div className="wb-result-grid" style={{ height }} data-testid="result-grid">
      <AgGridReact<unknown[]>
        modules={MODULES}
        theme={theme === 'dark' ? darkTheme : lightTheme}
        columnDefs={columnDefs}
        defaultColDef={{ resizable: true, minWidth: 80, width: 160 }}
        rowModelType="infinite"
        datasource={datasource}
        cacheBlockSize={BLOCK}
        maxBlocksInCache={CACHED_BLOCKS}
        infiniteInitialRowCount={Math.min(props.initialTotal, BLOCK)}
        blockLoadDebounceMillis={30}
        rowHeight={ROW_HEIGHT}
        headerHeight={HEADER_HEIGHT}
        floatingFiltersHeight={FILTER_ROW_HEIGHT}
        rowBuffer={10}
        tooltipShowDelay={400}
        suppressMultiSort={false}
        onGridReady={(e: GridReadyEvent<unknown[]>) => {
          api.current = e.api
        }}
        onCellClicked={select}
        onCellKeyDown={keyDown}
        onSortChanged={() => {
          range.current = undefined
        }}
        onFilterChanged={() => {
          range.current = undefined
        }}
      />
    </div>
  )
}

/** The header's text: name, type, masked mark and the result's column stats (nulls, distinct, min–max). */
function HeaderLabel(props: IHeaderParams & { type: string; stats?: ColumnStats; masked: boolean }) {
  return (
    <span className="wb-header">
      <span className="wb-header-name">{props.displayName}</span>
      <span className="wb-header-meta">
        <span className="wb-col-type">{props.type}</span>
        {props.masked && (
          <span className="wb-masked-tag" data-testid="masked-column" title="PII-tagged in the catalog">
            masked
          </span>
        )}
      </span>
      {props.stats && (
        <span className="wb-col-stats" data-testid="column-stats">
          {statsText(props.stats)}
        </span>
      )}
    </span>
  )
}

function statsText(stats: ColumnStats): string {
  let text = `${stats.nullCount.toLocaleString('en-US')} null`
  if (stats.distinct !== undefined)
    text += ` · ${stats.distinctApproximate ? '≈' : ''}${stats.distinct.toLocaleString('en-US')} distinct`
  if (stats.min !== undefined) text += ` · ${displayValue(stats.min)}–${displayValue(stats.max)}`
  return text
}
