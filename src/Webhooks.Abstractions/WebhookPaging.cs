namespace Webhooks.Abstractions;

/// <summary>
/// The paging rules every package shares. A cursor is the id of the last item of the previous
/// page (ids sort by creation, see <see cref="WebhookIds"/>); the engine checks a cursor with
/// <see cref="WebhookIds.IsValid"/> before a store sees it, so a store only compares it ordinally.
/// </summary>
public static class WebhookPaging
{
    /// <summary>The page size used when none is asked for.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The largest page size a caller may ask for.</summary>
    public const int MaxLimit = 500;

    /// <summary>
    /// Builds a page from a query that fetched up to <paramref name="limit"/> + 1 items: the extra
    /// one, when present, says a next page exists and is dropped.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="items">The items fetched, in page order; the list is trimmed in place.</param>
    /// <param name="limit">The page size asked for.</param>
    /// <param name="cursorOf">The cursor (id) of an item.</param>
    /// <returns>The page, with a next cursor when there is more.</returns>
    public static WebhookPage<T> FromOverfetch<T>(List<T> items, int limit, Func<T, string> cursorOf)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(cursorOf);
        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveRange(limit, items.Count - limit);
            next = cursorOf(items[^1]);
        }

        return new WebhookPage<T>(items, next);
    }
}
