using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Webhooks.Core.Filtering;

/// <summary>
/// A subscription's payload filter, parsed and validated: conditions over the envelope's
/// <c>type</c> and <c>data</c> (see <see cref="WebhookPayloadFilterParser"/> for the language).
/// Immutable and thread-safe; <see cref="Json"/> is its compact text, the form that is stored.
/// </summary>
internal sealed class WebhookPayloadFilter
{
    private const int MaxCached = 1024;

    // Stored filters by their text: a publish looks each distinct filter up here instead of parsing it again.
    // Bounded: cleared when full (a cleared entry is parsed again on its next use).
    private static readonly ConcurrentDictionary<string, WebhookPayloadFilter?> Cache = new(StringComparer.Ordinal);

    private readonly FilterNode _root;

    internal WebhookPayloadFilter(string json, FilterNode root)
    {
        Json = json;
        _root = root;
    }

    /// <summary>The compact JSON text (keys in the order given, no whitespace): what is stored and shown.</summary>
    public string Json { get; }

    /// <summary>Parses and validates a filter.</summary>
    /// <param name="json">The filter's JSON text; blank or <c>{}</c> is "no filter".</param>
    /// <param name="filter">The filter, or <see langword="null"/> for none (and on failure).</param>
    /// <param name="errors">What is wrong, each message naming the spot in the filter; empty on success.</param>
    /// <returns>Whether <paramref name="json"/> is a valid filter (or none).</returns>
    public static bool TryParse(string? json, out WebhookPayloadFilter? filter, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        filter = WebhookPayloadFilterParser.Parse(json, problems);
        errors = problems;
        return problems.Count == 0;
    }

    /// <summary>The text to store for a validated filter: its compact form, or <see langword="null"/> for none.</summary>
    /// <param name="json">A filter that passed <see cref="TryParse"/>.</param>
    /// <returns>The compact JSON, or <see langword="null"/> when it is blank or <c>{}</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="json"/> is not a valid filter.</exception>
    public static string? Normalize(string? json) =>
        TryParse(json, out var filter, out var errors)
            ? filter?.Json
            : throw new ArgumentException("Not a valid payload filter: " + string.Join(" ", errors), nameof(json));

    /// <summary>
    /// The filter for a stored text, parsed once and cached. <see langword="null"/> when the text
    /// is not a valid filter, which happens only when a store was changed around the engine.
    /// </summary>
    /// <param name="json">The stored text.</param>
    /// <param name="filter">The filter.</param>
    /// <returns>Whether the text is a valid filter.</returns>
    public static bool TryGetCached(string json, [NotNullWhen(true)] out WebhookPayloadFilter? filter)
    {
        if (!Cache.TryGetValue(json, out filter))
        {
            _ = TryParse(json, out filter, out _);
            if (Cache.Count >= MaxCached)
            {
                Cache.Clear();
            }

            Cache[json] = filter;
        }

        return filter is not null;
    }

    /// <summary>Whether an event passes the filter.</summary>
    /// <param name="input">The event's type and data, read from its serialized body.</param>
    /// <returns><see langword="true"/> when every condition holds.</returns>
    public bool Matches(in WebhookFilterInput input) => _root.Matches(input);

    /// <inheritdoc/>
    public override string ToString() => Json;
}
