namespace Webhooks.Core.Delivery;

/// <summary>
/// Entries sorted by id in one array: 8 bytes a delivery, where a tree node costs 48. Ids are made in
/// increasing order, so an add is nearly always an append (one made earlier but enqueued a little later
/// moves the few after it). A removed entry stays as a shell, skipped by every read, until the shells
/// are an eighth of what is held and one pass drops them all: a removal costs O(1) amortized (about
/// eight moves) however far from either end it is, and shells never cost more than an eighth again.
/// Used under the store's lock.
/// </summary>
internal sealed class InMemoryDeliveryIndex
{
    private InMemoryDeliveryEntry[] _items = [];
    private int _count;
    private int _removed;

    /// <summary>The entries held, shells included (for reading by position).</summary>
    public int Count => _count;

    /// <summary>The entries not removed.</summary>
    public int LiveCount => _count - _removed;

    public InMemoryDeliveryEntry this[int index] => _items[index];

    /// <summary>Adds <paramref name="entry"/> in id order.</summary>
    /// <exception cref="ArgumentException">An entry with the same id is held.</exception>
    public void Add(InMemoryDeliveryEntry entry)
    {
        int at = _count;
        if (_count > 0)
        {
            int c = InMemoryDeliveryEntry.Compare(_items[_count - 1], entry);
            if (c >= 0)
            {
                at = LowerBound(entry);
                if (InMemoryDeliveryEntry.Compare(_items[at], entry) == 0)
                {
                    if (!_items[at].Removed)
                    {
                        throw new ArgumentException($"A delivery with the id {entry.Id} is already stored.", nameof(entry));
                    }

                    _items[at] = entry; // the shell of a removed delivery with this id
                    _removed--;
                    return;
                }
            }
        }

        if (_count == _items.Length)
        {
            Array.Resize(ref _items, Math.Max(16, _items.Length * 2));
        }

        if (at < _count)
        {
            Array.Copy(_items, at, _items, at + 1, _count - at);
        }

        _items[at] = entry;
        _count++;
    }

    /// <summary>The live entry whose id is <paramref name="key"/>, if any.</summary>
    public InMemoryDeliveryEntry? Find(in InMemoryDeliveryKey key)
    {
        int at = LowerBound(key);
        return at < _count && _items[at] is { Removed: false } e && e.CompareTo(key) == 0 ? e : null;
    }

    /// <summary>The position of the first entry whose id is not less than <paramref name="key"/> (<see cref="Count"/> when none is).</summary>
    public int LowerBound(in InMemoryDeliveryKey key)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_items[mid].CompareTo(key) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>One of the entries held was removed from the store: drops the shells once they are an eighth of the entries held.</summary>
    public void NoteRemoved()
    {
        _removed++;
        if (_removed > 16 && _removed * 8L > _count)
        {
            Compact();
        }
    }

    private int LowerBound(InMemoryDeliveryEntry entry)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (InMemoryDeliveryEntry.Compare(_items[mid], entry) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private void Compact()
    {
        int kept = 0;
        for (int i = 0; i < _count; i++)
        {
            if (!_items[i].Removed)
            {
                _items[kept++] = _items[i];
            }
        }

        Array.Clear(_items, kept, _count - kept);
        _count = kept;
        _removed = 0;
        if (_items.Length > 64 && _count < _items.Length / 4)
        {
            Array.Resize(ref _items, Math.Max(64, _count * 2));
        }
    }
}
