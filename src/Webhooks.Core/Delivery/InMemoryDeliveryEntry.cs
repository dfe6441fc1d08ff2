namespace Webhooks.Core.Delivery;

/// <summary>
/// One delivery held by <see cref="InMemoryWebhookDeliveryStore"/>, laid out for a long backlog: a
/// pending delivery of the engine's making is this object alone (80 bytes), beside the message it
/// shares with its siblings. The id is kept as the 128-bit number a <c>dlv_</c> id spells (the string
/// is made again when asked for); times are UTC ticks; the creation time is the message's unless it
/// differs; anything a fresh delivery does not have (an ordering key, an id of another shape, a
/// completion without an attempt, a second attempt) sits in <see cref="InMemoryDeliveryExtras"/>.
/// The first attempt is the caller's own <see cref="WebhookAttempt"/> object (immutable), so
/// recording it allocates nothing. Every member is used under the store's lock.
/// </summary>
internal sealed class InMemoryDeliveryEntry
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int IdLength = 30; // "dlv_" + 26 base32 characters

    // _state: the sequence in the low 52 bits, then six flags, then the status (5 bits): one long where
    // a long, an int and a byte would take 16 bytes with padding.
    private const int FlagShift = 52, StatusShift = 58;
    private const long SeqMask = (1L << FlagShift) - 1, StatusMask = 31L << StatusShift;
    private const long ParkedFlag = 1L << FlagShift, LeasedFlag = 2L << FlagShift, InFifoFlag = 4L << FlagShift,
        FinishedFlag = 8L << FlagShift, RemovedFlag = 16L << FlagShift, TextIdFlag = 32L << FlagShift;

    // null, the only attempt (a WebhookAttempt), or an InMemoryDeliveryExtras.
    private object? _more;
    private readonly ulong _idHigh;
    private readonly ulong _idLow;
    private long _nextAttemptAtTicks;
    private long _state;

    public InMemoryDeliveryEntry(WebhookDelivery d, WebhookMessage message, long enqueueSeq)
    {
        Message = message;
        SubscriptionId = d.SubscriptionId;
        Status = d.Status;
        if (!TryParseId(d.Id, out _idHigh, out _idLow))
        {
            Set(TextIdFlag, true);
            Extras.TextId = d.Id;
        }

        if (d.OrderingKey is { } key)
        {
            Extras.OrderingKey = key;
            Extras.EnqueueSeq = enqueueSeq;
        }

        if (d.CreatedAt.UtcTicks != message.CreatedAt.UtcTicks)
        {
            Extras.CreatedAt = new DateTimeOffset(d.CreatedAt.UtcTicks, TimeSpan.Zero);
        }

        if (d.AttemptCount != 0)
        {
            Extras.InitialAttemptCount = d.AttemptCount;
        }
    }

    /// <summary>The message; <see langword="null"/> once the entry is removed (its shell may stay in an index until it is compacted).</summary>
    public WebhookMessage Message { get; private set; }

    public string SubscriptionId { get; }

    /// <summary>The next entry of the store's first-attempt line (see <see cref="InFifo"/>).</summary>
    public InMemoryDeliveryEntry? Next { get; set; }

    /// <summary>The queue sequence while pending (the due-queue tie-break and, while leased, the lease number), the finish sequence once finished.</summary>
    public long Seq
    {
        get => _state & SeqMask;
        set => _state = (_state & ~SeqMask) | (value & SeqMask); // 2^52 sequence numbers: over a century at a million a second
    }

    public WebhookDeliveryStatus Status
    {
        get => (WebhookDeliveryStatus)((_state & StatusMask) >> StatusShift);
        set
        {
            if ((uint)value > 31)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Not a delivery status.");
            }

            _state = (_state & ~StatusMask) | ((long)value << StatusShift);
        }
    }

    public bool Parked { get => Has(ParkedFlag); set => Set(ParkedFlag, value); }

    public bool Leased { get => Has(LeasedFlag); set => Set(LeasedFlag, value); }

    /// <summary>Whether its due time is held by its place in the store's first-attempt line rather than by the due queue.</summary>
    public bool InFifo { get => Has(InFifoFlag); set => Set(InFifoFlag, value); }

    /// <summary>Whether the store counts it among the finished ones.</summary>
    public bool Finished { get => Has(FinishedFlag); set => Set(FinishedFlag, value); }

    public bool Removed => Has(RemovedFlag);

    public string Id => Has(TextIdFlag) ? ((InMemoryDeliveryExtras)_more!).TextId! : FormatId(_idHigh, _idLow);

    public string? OrderingKey => (_more as InMemoryDeliveryExtras)?.OrderingKey;

    public long EnqueueSeq => (_more as InMemoryDeliveryExtras)?.EnqueueSeq ?? 0;

    public DateTimeOffset CreatedAt => (_more as InMemoryDeliveryExtras)?.CreatedAt ?? new(Message.CreatedAt.UtcTicks, TimeSpan.Zero);

    public long NextAttemptAtTicks { get => _nextAttemptAtTicks; set => _nextAttemptAtTicks = value; }

    public DateTimeOffset? NextAttemptAt
    {
        get => _nextAttemptAtTicks == 0 ? null : new DateTimeOffset(_nextAttemptAtTicks, TimeSpan.Zero);
        set => _nextAttemptAtTicks = value?.UtcTicks ?? 0;
    }

    public int AttemptCount => LastAttempt?.Number ?? (_more as InMemoryDeliveryExtras)?.InitialAttemptCount ?? 0;

    public string? LastError => _more is InMemoryDeliveryExtras { ErrorSet: true } x ? x.LastError : LastAttempt?.Error;

    private WebhookAttempt? LastAttempt => _more switch
    {
        WebhookAttempt a => a,
        InMemoryDeliveryExtras { Attempts: WebhookAttempt a } => a,
        InMemoryDeliveryExtras { Attempts: List<WebhookAttempt> list } => list[^1],
        _ => null,
    };

    private InMemoryDeliveryExtras Extras
    {
        get
        {
            if (_more is InMemoryDeliveryExtras extras)
            {
                return extras;
            }

            extras = new InMemoryDeliveryExtras { Attempts = _more };
            _more = extras;
            return extras;
        }
    }

    public bool Holds(long leaseNumber) => Leased && Status == WebhookDeliveryStatus.Pending && Seq == leaseNumber;

    public void AddAttempt(WebhookAttempt attempt)
    {
        if (attempt.StartedAt.Offset != TimeSpan.Zero)
        {
            attempt = attempt with { StartedAt = attempt.StartedAt.ToUniversalTime() }; // kept as UTC, as the durable stores return it
        }

        if (_more is null)
        {
            _more = attempt;
            return;
        }

        var extras = Extras;
        extras.ErrorSet = false;
        extras.LastError = null;
        extras.Attempts = extras.Attempts switch
        {
            null => attempt,
            WebhookAttempt first => new List<WebhookAttempt>(4) { first, attempt },
            List<WebhookAttempt> list => Add(list, attempt),
            _ => throw new InvalidOperationException("Unexpected attempt record."),
        };

        static List<WebhookAttempt> Add(List<WebhookAttempt> list, WebhookAttempt attempt)
        {
            list.Add(attempt);
            return list;
        }
    }

    /// <summary>A completion that sent nothing: its reason becomes the last error.</summary>
    public void SetError(string? reason)
    {
        var extras = Extras;
        extras.ErrorSet = true;
        extras.LastError = reason;
    }

    public WebhookAttempt[] GetAttempts() => (_more is InMemoryDeliveryExtras x ? x.Attempts : _more) switch
    {
        WebhookAttempt a => [a],
        List<WebhookAttempt> list => [.. list],
        _ => [],
    };

    /// <summary>Drops what a removed delivery no longer needs; the shell keeps its id for the indexes until they compact.</summary>
    public void MarkRemoved()
    {
        Set(RemovedFlag, true);
        Message = null!; // its shell may still be linked in the first-attempt line (stale there): Next stays
        if (_more is InMemoryDeliveryExtras x)
        {
            x.Attempts = null;
            x.LastError = null;
        }
        else
        {
            _more = null;
        }
    }

    public WebhookDelivery Snapshot()
    {
        var last = LastAttempt;
        return new()
        {
            Id = Id,
            MessageId = Message.Id,
            SubscriptionId = SubscriptionId,
            EventType = Message.EventType,
            Owner = Message.Owner,
            OrderingKey = OrderingKey,
            Status = Status,
            AttemptCount = AttemptCount,
            CreatedAt = CreatedAt,
            NextAttemptAt = Status == WebhookDeliveryStatus.Pending ? NextAttemptAt : null,
            LastAttemptAt = last?.StartedAt,
            LastStatusCode = last?.StatusCode,
            LastError = LastError,
        };
    }

    /// <summary>Orders as the ids' strings do (ordinal), comparing the numbers when both are <c>dlv_</c> ids.</summary>
    public static int Compare(InMemoryDeliveryEntry x, InMemoryDeliveryEntry y)
    {
        if (!x.Has(TextIdFlag) && !y.Has(TextIdFlag))
        {
            int c = x._idHigh.CompareTo(y._idHigh);
            return c != 0 ? c : x._idLow.CompareTo(y._idLow);
        }

        Span<char> a = stackalloc char[IdLength];
        Span<char> b = stackalloc char[IdLength];
        return x.IdChars(a).SequenceCompareTo(y.IdChars(b));
    }

    /// <summary>Compares this entry's id with <paramref name="key"/> as <see cref="Compare(InMemoryDeliveryEntry, InMemoryDeliveryEntry)"/> does.</summary>
    public int CompareTo(in InMemoryDeliveryKey key)
    {
        if (!Has(TextIdFlag) && key.IsNumber)
        {
            int c = _idHigh.CompareTo(key.High);
            return c != 0 ? c : _idLow.CompareTo(key.Low);
        }

        Span<char> a = stackalloc char[IdLength];
        return IdChars(a).SequenceCompareTo(key.Text.AsSpan());
    }

    /// <summary>Reads a <c>dlv_</c> id of the shape <see cref="WebhookIds.New"/> makes (26 upper-case Crockford base32 characters worth at most 128 bits) as its number; any other string stays a string.</summary>
    public static bool TryParseId(string id, out ulong high, out ulong low)
    {
        high = low = 0;
        if (id.Length != IdLength || !id.StartsWith(WebhookIds.DeliveryPrefix, StringComparison.Ordinal) || id[4] > '7')
        {
            return false;
        }

        UInt128 value = 0;
        for (int i = 4; i < IdLength; i++)
        {
            int digit = Digit(id[i]);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 5) | (uint)digit;
        }

        high = (ulong)(value >> 64);
        low = (ulong)value;
        return true;
    }

    // The canonical spelling only (upper case, no I, L, O or U), so reading and writing round-trip exactly.
    private static int Digit(char c) => c is >= '0' and <= 'Z' ? Digits[c - '0'] : -1;

    // The value of each character from '0' to 'Z' in Alphabet, -1 for the others.
    private static ReadOnlySpan<sbyte> Digits =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1, -1,
        10, 11, 12, 13, 14, 15, 16, 17, -1, 18, 19, -1, 20, 21, -1, 22, 23, 24, 25, 26, -1, 27, 28, 29, 30, 31,
    ];

    private static string FormatId(ulong high, ulong low) =>
        string.Create(IdLength, new UInt128(high, low), static (span, value) => Write(span, value));

    private static void Write(Span<char> span, UInt128 value)
    {
        WebhookIds.DeliveryPrefix.AsSpan().CopyTo(span);
        for (int i = IdLength - 1; i >= 4; i--)
        {
            span[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }
    }

    private ReadOnlySpan<char> IdChars(Span<char> buffer)
    {
        if (Has(TextIdFlag))
        {
            return ((InMemoryDeliveryExtras)_more!).TextId.AsSpan();
        }

        Write(buffer, new UInt128(_idHigh, _idLow));
        return buffer;
    }

    private bool Has(long flag) => (_state & flag) != 0;

    private void Set(long flag, bool on) => _state = on ? _state | flag : _state & ~flag;

    public override string ToString() => Removed ? "(removed)" : Id;
}
