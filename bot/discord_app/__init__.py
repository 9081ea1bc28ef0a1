"""The Discord front end: a thin discord.py layer over `bot.coach.Coach`."""
