"""The domain: every rule and every commit about surveys, members' answers and staff.

Nothing here handles a request or renders a template: the blueprints (survey/staff, survey/organise,
survey/responses, survey/published, ...) are thin web faces over these modules. See
docs/architecture.md for the layers and docs/glossary.md for the words.
"""
