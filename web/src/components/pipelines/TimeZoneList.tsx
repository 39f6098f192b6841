const TIME_ZONES: string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []

/** IANA time zone suggestions for an `<input list={id}>`. */
export function TimeZoneList({ id }: { id: string }) {
  return (
    <datalist id={id}>
      {TIME_ZONES.map((z) => (
        <option key={z} value={z} />
      ))}
    </datalist>
  )
}
