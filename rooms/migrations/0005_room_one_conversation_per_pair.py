# A migration of its own: PostgreSQL refuses to alter a table with row changes of
# the same transaction still pending, and 0004 writes the keys these constrain.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rooms', '0004_room_direct_key_found_by_pair'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='room',
            constraint=models.UniqueConstraint(fields=('direct_key',), name='room_one_conversation_per_pair'),
        ),
        migrations.AddConstraint(
            model_name='room',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('direct_key__isnull', False), ('kind', 'direct')), models.Q(('direct_key__isnull', True), ('kind', 'room')), _connector='OR'), name='room_direct_key_only_on_conversations'),
        ),
    ]
