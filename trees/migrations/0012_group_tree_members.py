"""Group trees get member rows: each person in the group is an editor of the group's trees
(trees/actions/workshop_members.py keeps them so from now on). Before, they had none and
were reached through the workshop only. Data only; the reverse removes nothing."""

from django.db import migrations


def add_members(apps, schema_editor):
    ExerciseTree = apps.get_model("trees", "ExerciseTree")
    Membership = apps.get_model("trees", "Membership")
    WorkshopParticipant = apps.get_model("trees", "WorkshopParticipant")
    people = {}
    for group_id, user_id in WorkshopParticipant.objects.filter(
        role="participant", group__isnull=False, user__is_active=True
    ).values_list("group_id", "user_id"):
        people.setdefault(group_id, set()).add(user_id)
    for tree_id, group_id in ExerciseTree.objects.filter(kind="group").values_list(
        "tree_id", "group_id"
    ):
        want = people.get(group_id, set())
        Membership.objects.filter(tree_id=tree_id).exclude(user_id__in=want).delete()
        have = set(Membership.objects.filter(tree_id=tree_id).values_list("user_id", flat=True))
        Membership.objects.filter(tree_id=tree_id, user_id__in=want).update(role="editor")
        Membership.objects.bulk_create(
            [Membership(tree_id=tree_id, user_id=u, role="editor") for u in sorted(want - have)]
        )


class Migration(migrations.Migration):
    dependencies = [("trees", "0011_workshop_rounds")]

    operations = [migrations.RunPython(add_members, migrations.RunPython.noop)]
