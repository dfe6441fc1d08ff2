namespace Webhooks.Abstractions;

/// <summary>A page of results, ordered by id.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items.</param>
/// <param name="NextCursor">Pass this to get the next page; <see langword="null"/> on the last page.</param>
public sealed record WebhookPage<T>(IReadOnlyList<T> Items, string? NextCursor);
