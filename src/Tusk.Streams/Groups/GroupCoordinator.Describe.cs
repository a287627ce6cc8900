using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Groups;

/// <summary>Introspection: DescribeGroups and ListGroups.</summary>
public sealed partial class GroupCoordinator
{
    /// <summary>
    /// Handles a DescribeGroups and returns its response, one entry per requested group in request order. An
    /// unknown group is reported as state "Dead" with no error (Kafka's behaviour before v6). Member metadata,
    /// assignments and the protocol are filled in only while the group is Stable.
    /// </summary>
    public DescribeGroupsResponse DescribeGroups(short version, DescribeGroupsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _serving = true;
        int authorizedOperations = version >= 3 && request.IncludeAuthorizedOperations
            ? GroupOperationsAll
            : DescribedGroup.AuthorizedOperationsOmitted;
        var response = new DescribeGroupsResponse();
        foreach (string groupId in request.Groups)
        {
            var described = new DescribedGroup { GroupId = groupId, AuthorizedOperations = authorizedOperations };
            if (!_groups.TryGetValue(groupId, out var group))
            {
                described.GroupState = StateName(GroupState.Dead);
                response.Groups.Add(described);
                continue;
            }
            bool stable = group.Is(GroupState.Stable);
            described.GroupState = StateName(group.State);
            described.ProtocolType = group.ProtocolType ?? "";
            described.ProtocolData = stable ? group.ProtocolName! : "";
            foreach (var m in group.Members)
            {
                described.Members.Add(new DescribedGroupMember
                {
                    MemberId = m.MemberId,
                    GroupInstanceId = m.GroupInstanceId,
                    ClientId = m.ClientId,
                    ClientHost = m.ClientHost,
                    MemberMetadata = stable ? m.MetadataFor(group.ProtocolName!)! : [],
                    MemberAssignment = stable ? m.Assignment : [],
                });
            }
            response.Groups.Add(described);
        }
        return response;
    }

    /// <summary>Handles a ListGroups and returns every group this coordinator holds, ordered by group id.</summary>
    public ListGroupsResponse ListGroups(short version)
    {
        _serving = true;
        var response = new ListGroupsResponse();
        foreach (var group in _groups.Values)
        {
            response.Groups.Add(new ListedGroup(group.GroupId, group.ProtocolType ?? ""));
        }
        return response;
    }

    /// <summary>The state's name on the wire (DescribeGroups).</summary>
    public static string StateName(GroupState state) => state switch
    {
        GroupState.Empty => "Empty",
        GroupState.PreparingRebalance => "PreparingRebalance",
        GroupState.CompletingRebalance => "CompletingRebalance",
        GroupState.Stable => "Stable",
        _ => "Dead",
    };
}
